# A session's persistent Bash (installed at /opt/mcp-sandbox/session/bash_kernel.sh; protocol: agent.py).
# Each call is sourced into this one shell, so variables, functions, aliases and the working directory persist.
# SIGINT ends the running call (status 130) and keeps the shell; `exit` ends the shell, so the next call starts a
# new one with nothing kept.
trap 'return 130 2>/dev/null' INT
printf 'ready\n' >&4
while IFS=' ' read -r __mcp_call __mcp_file __mcp_stdin <&3; do
  [ "$__mcp_stdin" = - ] && __mcp_stdin=/dev/null
  source "$__mcp_file" <"$__mcp_stdin"
  printf '%s %d\n' "$__mcp_call" "$?" >&4
done
