#!/bin/bash
# usage: sandbox.sh WORKDIR AS_MB cmd...  (the bwrap profile of docs/isolation notes, close to BwrapArguments)
W=$1; AS=$2; shift 2
exec env -i /usr/bin/setpriv --reuid=65534 --regid=65534 --clear-groups -- bwrap --unshare-all --unshare-user --uid 65534 --gid 65534 --disable-userns \
  --die-with-parent --new-session --cap-drop ALL --hostname sandbox \
  --clearenv --setenv PATH /opt/mcp-sandbox/bin:/usr/local/bin:/usr/bin:/bin --setenv HOME /workspace --setenv LANG C.UTF-8 --setenv TMPDIR /tmp --setenv MALLOC_ARENA_MAX 2 \
  --ro-bind /usr /usr --symlink usr/lib /lib --symlink usr/lib64 /lib64 --symlink usr/bin /bin --symlink usr/sbin /sbin \
  --ro-bind /etc/alternatives /etc/alternatives --ro-bind /etc/ld.so.cache /etc/ld.so.cache \
  --proc /proc --dev /dev --tmpfs /tmp --bind "$W" /workspace --chdir /workspace --remount-ro / /bin/sh -c 'ulimit -v $0; exec "$@"' $((AS*1024)) "$@"
