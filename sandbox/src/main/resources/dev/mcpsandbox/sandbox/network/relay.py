# The sandbox's way out: listens on its own loopback (the only interface of its network namespace) and
# carries each connection to the server's proxy over the Unix socket bound into this sandbox. It holds no
# privilege the code lacks; the proxy on the host decides everything. Usage: relay.py PORT SOCKET.
# Exits 0 once listening (the child serves), so whatever starts next finds the port open.
import os, socket, sys, threading

port, path = int(sys.argv[1]), sys.argv[2]
listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
listener.bind(('127.0.0.1', port))
listener.listen(64)
if os.fork() > 0:
    os._exit(0)
null = os.open(os.devnull, os.O_RDWR)
for fd in (0, 1, 2):
    os.dup2(null, fd)


def pump(src, dst, done):
    try:
        while True:
            data = src.recv(65536)
            if not data:
                break
            dst.sendall(data)
    except OSError:
        pass
    try:
        dst.shutdown(socket.SHUT_WR)
    except OSError:
        pass
    done.release()


def carry(client):
    upstream = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        upstream.connect(path)
    except OSError:
        client.close()
        upstream.close()
        return
    done = threading.Semaphore(0)
    threading.Thread(target=pump, args=(upstream, client, done), daemon=True).start()
    pump(client, upstream, done)
    done.acquire()
    done.acquire()
    client.close()
    upstream.close()


while True:
    try:
        conn, _ = listener.accept()
    except OSError:
        continue
    threading.Thread(target=carry, args=(conn,), daemon=True).start()
