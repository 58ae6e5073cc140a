"""Drives the session agent from inside a sandbox, for KernelsInBubblewrapIT (test code, not shipped).

Reads a JSON list of steps on stdin, starts /opt/mcp-sandbox/session/agent.py, runs the steps one after another
and prints one JSON line per step: the agent's exit header with the call's stdout and stderr. A step:
  {"call": N, "code": "...", "file": "/workspace/main.mjs", "stdin": "",
   "kernel": {"key": K, "argv": [...]} | "process": [...],
   "then": {"after": "text printed on stdout", "op": "interrupt" | "kill"}}   (optional)
"""
import base64, json, subprocess, sys

steps = json.load(sys.stdin)
agent = subprocess.Popen([sys.executable, "-u", "/opt/mcp-sandbox/session/agent.py"], stdin=subprocess.PIPE,
                         stdout=subprocess.PIPE)


def send(command):
    agent.stdin.write((json.dumps(command) + "\n").encode())
    agent.stdin.flush()


def frame():
    header = json.loads(agent.stdout.readline())
    return header, agent.stdout.read(header["n"]) if "n" in header else b""


frame()  # ready
for step in steps:
    call = step["call"]
    if "code" in step:
        with open(step["file"], "w") as f:
            f.write(step["code"])
    stdin = base64.b64encode(step.get("stdin", "").encode()).decode()
    if "kernel" in step:
        send({"op": "run", "call": call, "mode": "kernel", "key": step["kernel"]["key"], "argv": step["kernel"]["argv"],
              "file": step["file"], "stdin": stdin})
    else:
        send({"op": "run", "call": call, "mode": "process", "argv": step["process"], "input": stdin})
    then = step.get("then")
    out, err = b"", b""
    while True:
        header, data = frame()
        if header.get("out") == call:
            if header["fd"] == 1:
                out += data
            else:
                err += data
            if then and then["after"].encode() in out:
                send({"op": then["op"], "call": call})
                then = None
        elif header.get("exit") == call:
            header["stdout"], header["stderr"] = out.decode(errors="replace"), err.decode(errors="replace")
            print(json.dumps(header), flush=True)
            break
agent.stdin.close()
agent.wait()
