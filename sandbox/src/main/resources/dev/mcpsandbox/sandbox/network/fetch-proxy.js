// Node's fetch (undici) ignores HTTP(S)_PROXY before Node 24. Preloaded with --require in sandboxes whose call
// has the network, this gives fetch a dispatcher that opens every connection as a CONNECT tunnel through the
// sandbox's relay, with TLS on top for https: the proxy then checks each host. Node 20 exposes no undici module,
// so the Agent class is taken from the global dispatcher that `new Headers()` makes undici install.
'use strict';
(() => {
  const net = require('net');
  const tls = require('tls');
  const proxy = new URL(process.env.HTTPS_PROXY || process.env.HTTP_PROXY);
  const key = Symbol.for('undici.globalDispatcher.1');
  new Headers();
  const current = globalThis[key];
  if (!current) return;
  const Agent = current.constructor;
  function tunnel(opts, callback) {
    const host = opts.hostname.startsWith('[') ? opts.hostname : (opts.hostname.includes(':') ? '[' + opts.hostname + ']' : opts.hostname);
    const port = opts.port || (opts.protocol === 'https:' ? 443 : 80);
    const socket = net.connect(Number(proxy.port), proxy.hostname);
    let head = Buffer.alloc(0);
    let settled = false;
    const fail = (err) => { if (!settled) { settled = true; socket.destroy(); callback(err, null); } };
    socket.once('error', fail);
    socket.on('connect', () => socket.write('CONNECT ' + host + ':' + port + ' HTTP/1.1\r\nHost: ' + host + ':' + port + '\r\n\r\n'));
    const onData = (chunk) => {
      head = Buffer.concat([head, chunk]);
      const end = head.indexOf('\r\n\r\n');
      if (end < 0) return;
      socket.removeListener('data', onData);
      socket.pause();
      const text = head.subarray(0, end).toString('latin1');
      const status = Number(text.split(' ')[1]);
      if (status !== 200) {
        const reason = (text.match(/\r\nX-Mcp-Sandbox-Refusal: ([^\r\n]*)/i) || [])[1] || text.split('\r\n')[0];
        const err = new Error('the network proxy refused ' + host + ':' + port + ': ' + reason);
        err.code = 'PROXY_REFUSED';
        return fail(err);
      }
      socket.removeListener('error', fail);
      settled = true;
      if (opts.protocol !== 'https:') return callback(null, socket);
      const secure = tls.connect({ socket, servername: opts.servername || opts.hostname, ALPNProtocols: ['http/1.1'] });
      secure.once('secureConnect', () => callback(null, secure));
      secure.once('error', (err) => callback(err, null));
    };
    socket.on('data', onData);
  }
  globalThis[key] = new Agent({ connect: tunnel });
})();
