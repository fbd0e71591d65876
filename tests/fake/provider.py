#!/usr/bin/env python3
"""Fake model-provider HTTP server for gt's tests (stdlib only).

    python3 tests/fake/provider.py --script FILE --port-file FILE --log FILE
                                   [--delay-ms N] [--port N]

Speaks four protocols, streaming (SSE) or not as the request asks:
  openai-chat       POST /v1/chat/completions, /chat/completions; GET /v1/models
  anthropic         POST /v1/messages, /v1/messages/count_tokens
  openai-responses  POST /v1/responses, /responses
  gemini            POST /v1beta/models/M:streamGenerateContent?alt=sse,
                    :generateContent, :countTokens; GET /v1beta/models

The answer is chosen from a script (JSON):
  {"steps": [{"shell": "gt-prime"}, {"tool": "done", "args": {}}, {"text": "ok"}],
   "failures": [{"status": 429, "retry_after": 2, "times": 1, "match": "..."},
                {"status": 500, "times": 1}, {"drop": true, "times": 1}]}
The step is computed statelessly: the number of assistant turns already in the
request's history.  Requests offering no tools get a short text and do not
count.  Failures are global and stateful ("times" counts down).
See tests/fake/README.md.
"""

import argparse
import gzip
import json
import os
import signal
import sys
import threading
import time
import uuid
import zlib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit, parse_qs

FINAL_TEXT = "Nothing more to do."
NO_TOOLS_TEXT = "OK."
MODEL_DEFAULT = "fake-model"

# Names of shell tools, most specific first (Claude Code, Gemini, opencode/pi,
# Codex, gt's openai-chat runtime).
SHELL_TOOL_NAMES = ["Bash", "run_shell_command", "bash", "shell_command",
                    "shell", "exec_command", "local_shell"]


class State:
    def __init__(self, script, log_path, delay_ms):
        self.script = script
        self.steps = script.get("steps", [])
        self.failures = [dict(f) for f in script.get("failures", [])]
        self.log_path = log_path
        self.delay_ms = delay_ms
        self.lock = threading.Lock()
        self.seq = 0

    def log(self, rec):
        line = json.dumps(rec, separators=(",", ":"), ensure_ascii=False)
        with self.lock:
            self.seq += 1
            if self.log_path:
                with open(self.log_path, "a", encoding="utf-8") as f:
                    f.write(line + "\n")

    def take_failure(self, raw, protocol):
        """Return the failure to inject (and count it down) or None."""
        with self.lock:
            for f in self.failures:
                if f.get("times", 1) <= 0:
                    continue
                if "match" in f and f["match"] not in raw:
                    continue
                if "protocol" in f and f["protocol"] != protocol:
                    continue
                f["times"] = f.get("times", 1) - 1
                out = {k: v for k, v in f.items() if k != "times"}
                out["times_left"] = f["times"]
                return out
        return None


STATE = None


def new_id(prefix):
    return prefix + uuid.uuid4().hex[:24]


def norm_type(t):
    if isinstance(t, list):
        t = [x for x in t if x != "null"]
        t = t[0] if t else "string"
    return (t or "").lower()


# ---------------------------------------------------------------- tools

class Tool:
    def __init__(self, name, schema, kind="function"):
        self.name = name
        self.schema = schema or {}
        self.kind = kind  # function | custom | local_shell


def tools_of(protocol, body):
    out = []
    tools = body.get("tools") or []
    if not isinstance(tools, list):
        return out
    for t in tools:
        if not isinstance(t, dict):
            continue
        if protocol == "openai-chat":
            fn = t.get("function") or {}
            if fn.get("name"):
                out.append(Tool(fn["name"], fn.get("parameters")))
        elif protocol == "anthropic":
            if t.get("name"):
                out.append(Tool(t["name"], t.get("input_schema")))
        elif protocol == "openai-responses":
            typ = t.get("type")
            if typ == "function" and t.get("name"):
                out.append(Tool(t["name"], t.get("parameters")))
            elif typ == "custom" and t.get("name"):
                out.append(Tool(t["name"], None, "custom"))
            elif typ == "local_shell":
                out.append(Tool("local_shell", None, "local_shell"))
        elif protocol == "gemini":
            for fd in t.get("functionDeclarations") or t.get("function_declarations") or []:
                if fd.get("name"):
                    out.append(Tool(fd["name"], fd.get("parametersJsonSchema")
                                    or fd.get("parameters")))
    return out


def shell_args(tool, cmd):
    props = (tool.schema or {}).get("properties") or {}
    required = (tool.schema or {}).get("required") or []
    args = {}
    key = "command" if "command" in props else ("cmd" if "cmd" in props else "command")
    if norm_type((props.get(key) or {}).get("type")) == "array":
        args[key] = ["bash", "-lc", cmd]
    else:
        args[key] = cmd
    for r in required:
        if r in args:
            continue
        p = props.get(r) or {}
        t = norm_type(p.get("type"))
        if "enum" in p and p["enum"]:
            args[r] = p["enum"][0]
        elif t in ("integer", "number"):
            args[r] = 120000 if "timeout" in r else 0
        elif t == "boolean":
            args[r] = False
        elif t == "array":
            args[r] = []
        elif t == "object":
            args[r] = {}
        elif "desc" in r.lower():
            args[r] = "Run: " + cmd
        elif r.lower() in ("workdir", "cwd", "directory", "dir_path"):
            args[r] = os.getcwd()
        else:
            args[r] = ""
    return args


def plan_answer(protocol, body, step, tools):
    """-> dict(kind='text', text=...) or dict(kind='tool', name, args, tool)."""
    if "text" in step:
        return {"kind": "text", "text": str(step["text"])}
    if "shell" in step:
        cmd = step["shell"]
        byname = {t.name: t for t in tools}
        tool = None
        for n in SHELL_TOOL_NAMES:
            if n in byname:
                tool = byname[n]
                break
        if tool is None:
            return {"kind": "text",
                    "text": "(fake provider: no shell tool offered; wanted to run: %s)" % cmd}
        args = shell_args(tool, cmd)
        args.update(step.get("args") or {})
        return {"kind": "tool", "name": tool.name, "args": args, "tool": tool}
    if "tool" in step:
        name = step["tool"]
        tool = next((t for t in tools if t.name == name), None)
        if tool is None:
            tool = Tool(name, None)
        return {"kind": "tool", "name": name, "args": step.get("args") or {},
                "tool": tool}
    return {"kind": "text", "text": FINAL_TEXT}


# ---------------------------------------------------------------- turns

def count_turns(protocol, body):
    if protocol in ("openai-chat", "anthropic"):
        return sum(1 for m in body.get("messages") or []
                   if isinstance(m, dict) and m.get("role") == "assistant")
    if protocol == "openai-responses":
        items = body.get("input")
        if not isinstance(items, list):
            return 0
        n, prev = 0, False
        for it in items:
            if not isinstance(it, dict):
                continue
            typ = it.get("type", "message")
            asst = (typ in ("function_call", "custom_tool_call", "local_shell_call",
                            "reasoning", "web_search_call")
                    or (typ == "message" and it.get("role") == "assistant"))
            if asst and not prev:
                n += 1
            prev = asst
        return n
    if protocol == "gemini":
        n, prev = 0, False
        for c in body.get("contents") or []:
            asst = isinstance(c, dict) and c.get("role") == "model"
            if asst and not prev:
                n += 1
            prev = asst
        return n
    return 0


# ---------------------------------------------------------------- usage

def usage_for(raw, step_index, answer_len, step):
    total = max(1, len(raw) // 4)
    cached = total // 2 if step_index > 0 else 0
    creation = total // 4 if step_index == 0 else 0
    out = max(1, answer_len // 4)
    u = {"input_tokens": total, "output_tokens": out, "cached_tokens": cached,
         "cache_creation_tokens": creation}
    over = dict((STATE.script.get("usage") or {}))
    over.update((step or {}).get("usage") or {})
    u.update({k: v for k, v in over.items() if k in u})
    u["cached_tokens"] = min(u["cached_tokens"], u["input_tokens"])
    return u


# ---------------------------------------------------------------- JSON schema

def from_schema(s, name=""):
    """Make a minimal JSON value matching a schema (for Gemini's JSON calls)."""
    if not isinstance(s, dict):
        return None
    if s.get("enum"):
        e = s["enum"]
        return "user" if "user" in e else e[0]
    t = norm_type(s.get("type"))
    if t == "object" or "properties" in s:
        return {k: from_schema(v, k) for k, v in (s.get("properties") or {}).items()}
    if t == "array":
        return []
    if t in ("integer", "number"):
        lo = s.get("minimum", s.get("exclusiveMinimum"))
        return (lo + (1 if "exclusiveMinimum" in s else 0)) if lo is not None else 1
    if t == "boolean":
        return False
    return "fake %s" % name if name else "fake"


# ---------------------------------------------------------------- handler

class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "gt-fake-provider/1"

    def log_message(self, fmt, *a):  # quiet
        pass

    # ---- plumbing
    def read_body(self):
        te = (self.headers.get("Transfer-Encoding") or "").lower()
        if "chunked" in te:
            data = b""
            while True:
                line = self.rfile.readline()
                n = int(line.split(b";")[0].strip() or b"0", 16)
                if n == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    break
                data += self.rfile.read(n)
                self.rfile.readline()
        else:
            n = int(self.headers.get("Content-Length") or 0)
            data = self.rfile.read(n) if n else b""
        enc = (self.headers.get("Content-Encoding") or "").lower()
        try:
            if enc == "gzip":
                data = gzip.decompress(data)
            elif enc == "deflate":
                data = zlib.decompress(data)
        except Exception:
            pass
        return data

    def send_json(self, status, obj, extra=None):
        data = json.dumps(obj).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for k, v in (extra or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)
        self.wfile.flush()

    def start_sse(self):
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()

    def chunk(self, s):
        b = s.encode()
        self.wfile.write(b"%x\r\n%s\r\n" % (len(b), b))
        self.wfile.flush()

    def sse(self, obj, event=None):
        s = ""
        if event:
            s += "event: %s\n" % event
        s += "data: %s\n\n" % (obj if isinstance(obj, str) else json.dumps(obj))
        self.chunk(s)

    def end_sse(self):
        self.wfile.write(b"0\r\n\r\n")
        self.wfile.flush()

    def drop(self):
        self.close_connection = True
        try:
            import socket
            self.connection.shutdown(socket.SHUT_RDWR)
        except Exception:
            pass

    # ---- routing
    def do_GET(self):
        self.handle_any("GET")

    def do_POST(self):
        self.handle_any("POST")

    def do_HEAD(self):
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def classify(self, path):
        p = path.rstrip("/")
        if p.endswith("/chat/completions"):
            return "openai-chat", "chat"
        if p.endswith("/messages/count_tokens"):
            return "anthropic", "count"
        if p.endswith("/messages"):
            return "anthropic", "chat"
        if p.endswith("/responses"):
            return "openai-responses", "chat"
        if "/models/" in p and ":" in p.rsplit("/", 1)[-1]:
            verb = p.rsplit(":", 1)[-1]
            if verb in ("streamGenerateContent", "generateContent"):
                return "gemini", "chat"
            if verb == "countTokens":
                return "gemini", "count"
            return "gemini", verb
        if p.endswith("/models") or "/models/" in p:
            if "v1beta" in p or "v1alpha" in p:
                return "gemini", "models"
            if self.headers.get("anthropic-version"):
                return "anthropic", "models"
            return "openai-chat", "models"
        return "other", None

    def handle_any(self, method):
        u = urlsplit(self.path)
        query = parse_qs(u.query)
        raw_b = self.read_body() if method == "POST" else b""
        raw = raw_b.decode("utf-8", "replace")
        try:
            body = json.loads(raw) if raw.strip() else None
        except Exception:
            body = None
        protocol, what = self.classify(u.path)
        rec = {"t": round(time.time(), 3), "method": method, "path": self.path,
               "protocol": protocol, "body": body, "step": None}
        if STATE.delay_ms:
            time.sleep(STATE.delay_ms / 1000.0)
        try:
            self.dispatch(method, u.path, query, raw, body, protocol, what, rec)
        except (BrokenPipeError, ConnectionResetError):
            rec["error"] = "client went away"
        STATE.log(rec)

    def dispatch(self, method, path, query, raw, body, protocol, what, rec):
        if what == "models":
            models = [{"id": MODEL_DEFAULT, "object": "model", "type": "model",
                       "created": 0, "owned_by": "fake", "display_name": "Fake",
                       "created_at": "2025-01-01T00:00:00Z"}]
            if protocol == "gemini":
                return self.send_json(200, {"models": [{
                    "name": "models/" + MODEL_DEFAULT, "displayName": "Fake",
                    "inputTokenLimit": 1000000, "outputTokenLimit": 65536,
                    "supportedGenerationMethods": ["generateContent", "countTokens"]}]})
            return self.send_json(200, {"object": "list", "data": models,
                                        "models": [], "has_more": False,
                                        "first_id": MODEL_DEFAULT,
                                        "last_id": MODEL_DEFAULT})
        if what == "count":
            n = max(1, len(raw) // 4)
            if protocol == "gemini":
                return self.send_json(200, {"totalTokens": n})
            return self.send_json(200, {"input_tokens": n})
        if what != "chat" or not isinstance(body, dict):
            if protocol == "other" and method == "GET":
                rec["note"] = "unknown path"
                return self.send_json(404, {"error": {"message": "not found: " + path,
                                                      "type": "not_found"}})
            if protocol == "gemini" and what not in ("chat",):
                return self.send_json(200, {})
            rec["note"] = "unknown or bad request"
            return self.send_json(404 if protocol == "other" else 400,
                                  {"error": {"message": "fake provider: bad request",
                                             "type": "invalid_request_error"}})

        # ---- failures
        fail = STATE.take_failure(raw, protocol)
        if fail:
            rec["failure"] = fail
            if fail.get("drop"):
                return self.drop()
            return self.send_error_json(protocol, int(fail.get("status", 500)), fail)

        # ---- choose the answer
        tools = tools_of(protocol, body)
        if not tools:
            step_i, step = None, {"text": NO_TOOLS_TEXT}
            rec["marker"] = "no-tools"
            gcfg = body.get("generationConfig") or {}
            schema = gcfg.get("responseJsonSchema") or gcfg.get("responseSchema")
            if protocol == "gemini" and schema:
                step = {"text": json.dumps(from_schema(schema))}
                rec["marker"] = "no-tools-json"
        else:
            step_i = count_turns(protocol, body)
            if step_i < len(STATE.steps):
                step = STATE.steps[step_i]
                rec["marker"] = step.get("marker", "step-%d" % step_i)
            else:
                step = {"text": FINAL_TEXT}
                rec["marker"] = "final"
        rec["step"] = step_i
        ans = plan_answer(protocol, body, step, tools)
        if ans["kind"] == "tool":
            rec["answer"] = {"tool": ans["name"], "args": ans["args"]}
        else:
            rec["answer"] = {"text": ans["text"]}
        if step.get("delay_ms"):
            time.sleep(step["delay_ms"] / 1000.0)
        alen = len(ans.get("text") or json.dumps(ans.get("args")))
        usage = usage_for(raw, step_i or 0, alen, step)
        model = body.get("model") or MODEL_DEFAULT
        if protocol == "gemini":
            model = path.rsplit("/", 1)[-1].split(":")[0]
        fn = {"openai-chat": self.answer_chat, "anthropic": self.answer_anthropic,
              "openai-responses": self.answer_responses,
              "gemini": self.answer_gemini}[protocol]
        stream = bool(body.get("stream"))
        if protocol == "gemini":
            stream = path.endswith(":streamGenerateContent")
        rec["stream"] = stream
        fn(body, ans, usage, model, stream)

    # ---- errors
    def send_error_json(self, protocol, status, fail):
        extra = {}
        if fail.get("retry_after") is not None:
            extra["Retry-After"] = str(fail["retry_after"])
        msg = fail.get("message") or ("fake provider: injected HTTP %d" % status)
        if protocol == "anthropic":
            typ = {429: "rate_limit_error", 529: "overloaded_error", 400: "invalid_request_error",
                   401: "authentication_error", 403: "permission_error"}.get(status, "api_error")
            body = {"type": "error", "error": {"type": typ, "message": msg}}
            extra["request-id"] = new_id("req_")
        elif protocol == "gemini":
            st = {429: "RESOURCE_EXHAUSTED", 400: "INVALID_ARGUMENT", 401: "UNAUTHENTICATED",
                  403: "PERMISSION_DENIED", 503: "UNAVAILABLE"}.get(status, "INTERNAL")
            body = {"error": {"code": status, "message": msg, "status": st}}
        else:
            typ = {429: "rate_limit_exceeded", 400: "invalid_request_error",
                   401: "invalid_api_key"}.get(status, "server_error")
            body = {"error": {"message": msg, "type": typ, "param": None, "code": typ}}
        self.send_json(status, body, extra)

    # ---- openai chat completions
    def answer_chat(self, body, ans, usage, model, stream):
        cid = new_id("chatcmpl-")
        created = int(time.time())
        u = {"prompt_tokens": usage["input_tokens"],
             "completion_tokens": usage["output_tokens"],
             "total_tokens": usage["input_tokens"] + usage["output_tokens"],
             "prompt_tokens_details": {"cached_tokens": usage["cached_tokens"]}}
        if ans["kind"] == "tool":
            call = {"id": new_id("call_"), "type": "function",
                    "function": {"name": ans["name"], "arguments": json.dumps(ans["args"])}}
            finish = "tool_calls"
            msg = {"role": "assistant", "content": None, "tool_calls": [call]}
        else:
            finish = "stop"
            msg = {"role": "assistant", "content": ans["text"]}
        if not stream:
            return self.send_json(200, {
                "id": cid, "object": "chat.completion", "created": created, "model": model,
                "choices": [{"index": 0, "message": msg, "finish_reason": finish}],
                "usage": u})
        self.start_sse()

        def ch(delta, fin=None):
            return {"id": cid, "object": "chat.completion.chunk", "created": created,
                    "model": model,
                    "choices": [{"index": 0, "delta": delta, "finish_reason": fin}]}
        self.sse(ch({"role": "assistant", "content": ""}))
        if ans["kind"] == "tool":
            c = msg["tool_calls"][0]
            self.sse(ch({"tool_calls": [{"index": 0, "id": c["id"], "type": "function",
                                         "function": {"name": ans["name"], "arguments": ""}}]}))
            args = c["function"]["arguments"]
            half = len(args) // 2
            for part in (args[:half], args[half:]):
                self.sse(ch({"tool_calls": [{"index": 0, "function": {"arguments": part}}]}))
        else:
            for part in split_text(ans["text"]):
                self.sse(ch({"content": part}))
        self.sse(ch({}, finish))
        if (body.get("stream_options") or {}).get("include_usage"):
            self.sse({"id": cid, "object": "chat.completion.chunk", "created": created,
                      "model": model, "choices": [], "usage": u})
        self.sse("[DONE]")
        self.end_sse()

    # ---- anthropic messages
    def answer_anthropic(self, body, ans, usage, model, stream):
        mid = new_id("msg_")
        cached, creation = usage["cached_tokens"], usage["cache_creation_tokens"]
        inp = max(0, usage["input_tokens"] - cached - creation)
        if ans["kind"] == "tool":
            block = {"type": "tool_use", "id": new_id("toolu_"), "name": ans["name"],
                     "input": ans["args"]}
            stop = "tool_use"
        else:
            block = {"type": "text", "text": ans["text"]}
            stop = "end_turn"
        u = {"input_tokens": inp, "cache_creation_input_tokens": creation,
             "cache_read_input_tokens": cached, "output_tokens": usage["output_tokens"],
             "service_tier": "standard"}
        if not stream:
            return self.send_json(200, {
                "id": mid, "type": "message", "role": "assistant", "model": model,
                "content": [block], "stop_reason": stop, "stop_sequence": None,
                "usage": u})
        self.start_sse()
        self.sse({"type": "message_start", "message": {
            "id": mid, "type": "message", "role": "assistant", "model": model,
            "content": [], "stop_reason": None, "stop_sequence": None,
            "usage": dict(u, output_tokens=1)}}, "message_start")
        if ans["kind"] == "tool":
            self.sse({"type": "content_block_start", "index": 0,
                      "content_block": dict(block, input={})}, "content_block_start")
            self.sse({"type": "ping"}, "ping")
            args = json.dumps(ans["args"])
            half = len(args) // 2
            for part in (args[:half], args[half:]):
                self.sse({"type": "content_block_delta", "index": 0,
                          "delta": {"type": "input_json_delta", "partial_json": part}},
                         "content_block_delta")
        else:
            self.sse({"type": "content_block_start", "index": 0,
                      "content_block": {"type": "text", "text": ""}}, "content_block_start")
            self.sse({"type": "ping"}, "ping")
            for part in split_text(ans["text"]):
                self.sse({"type": "content_block_delta", "index": 0,
                          "delta": {"type": "text_delta", "text": part}},
                         "content_block_delta")
        self.sse({"type": "content_block_stop", "index": 0}, "content_block_stop")
        self.sse({"type": "message_delta",
                  "delta": {"stop_reason": stop, "stop_sequence": None},
                  "usage": {"output_tokens": usage["output_tokens"]}}, "message_delta")
        self.sse({"type": "message_stop"}, "message_stop")
        self.end_sse()

    # ---- openai responses
    def answer_responses(self, body, ans, usage, model, stream):
        rid = new_id("resp_")
        created = int(time.time())
        if ans["kind"] == "tool":
            tool = ans["tool"]
            if tool.kind == "local_shell":
                cmd = ans["args"].get("command")
                if isinstance(cmd, str):
                    cmd = ["bash", "-lc", cmd]
                item = {"type": "local_shell_call", "id": new_id("lsh_"),
                        "call_id": new_id("call_"), "status": "completed",
                        "action": {"type": "exec", "command": cmd}}
            elif tool.kind == "custom":
                a = ans["args"]
                item = {"type": "custom_tool_call", "id": new_id("ctc_"),
                        "call_id": new_id("call_"), "name": ans["name"],
                        "input": a.get("input", "") if isinstance(a, dict) else str(a),
                        "status": "completed"}
            else:
                item = {"type": "function_call", "id": new_id("fc_"),
                        "call_id": new_id("call_"), "name": ans["name"],
                        "arguments": json.dumps(ans["args"]), "status": "completed"}
        else:
            item = {"type": "message", "id": new_id("msg_"), "role": "assistant",
                    "status": "completed",
                    "content": [{"type": "output_text", "text": ans["text"],
                                 "annotations": []}]}
        u = {"input_tokens": usage["input_tokens"],
             "input_tokens_details": {"cached_tokens": usage["cached_tokens"]},
             "output_tokens": usage["output_tokens"],
             "output_tokens_details": {"reasoning_tokens": 0},
             "total_tokens": usage["input_tokens"] + usage["output_tokens"]}
        resp = {"id": rid, "object": "response", "created_at": created,
                "status": "completed", "model": model, "output": [item],
                "usage": u, "error": None, "incomplete_details": None}
        if not stream:
            return self.send_json(200, resp)
        self.start_sse()
        pending = dict(resp, status="in_progress", output=[], usage=None)
        self.sse({"type": "response.created", "sequence_number": 0, "response": pending},
                 "response.created")
        self.sse({"type": "response.in_progress", "sequence_number": 1,
                  "response": pending}, "response.in_progress")
        seq = 2
        if item["type"] == "message":
            added = dict(item, status="in_progress", content=[])
            self.sse({"type": "response.output_item.added", "sequence_number": seq,
                      "output_index": 0, "item": added}, "response.output_item.added")
            seq += 1
            self.sse({"type": "response.content_part.added", "sequence_number": seq,
                      "item_id": item["id"], "output_index": 0, "content_index": 0,
                      "part": {"type": "output_text", "text": "", "annotations": []}},
                     "response.content_part.added")
            seq += 1
            for part in split_text(ans["text"]):
                self.sse({"type": "response.output_text.delta", "sequence_number": seq,
                          "item_id": item["id"], "output_index": 0, "content_index": 0,
                          "delta": part}, "response.output_text.delta")
                seq += 1
            self.sse({"type": "response.output_text.done", "sequence_number": seq,
                      "item_id": item["id"], "output_index": 0, "content_index": 0,
                      "text": ans["text"]}, "response.output_text.done")
            seq += 1
            self.sse({"type": "response.content_part.done", "sequence_number": seq,
                      "item_id": item["id"], "output_index": 0, "content_index": 0,
                      "part": item["content"][0]}, "response.content_part.done")
            seq += 1
        else:
            added = dict(item, status="in_progress")
            if "arguments" in added:
                added["arguments"] = ""
            self.sse({"type": "response.output_item.added", "sequence_number": seq,
                      "output_index": 0, "item": added}, "response.output_item.added")
            seq += 1
            if item["type"] == "function_call":
                self.sse({"type": "response.function_call_arguments.delta",
                          "sequence_number": seq, "item_id": item["id"],
                          "output_index": 0, "delta": item["arguments"]},
                         "response.function_call_arguments.delta")
                seq += 1
                self.sse({"type": "response.function_call_arguments.done",
                          "sequence_number": seq, "item_id": item["id"],
                          "output_index": 0, "arguments": item["arguments"]},
                         "response.function_call_arguments.done")
                seq += 1
        self.sse({"type": "response.output_item.done", "sequence_number": seq,
                  "output_index": 0, "item": item}, "response.output_item.done")
        seq += 1
        self.sse({"type": "response.completed", "sequence_number": seq, "response": resp},
                 "response.completed")
        self.end_sse()

    # ---- gemini
    def answer_gemini(self, body, ans, usage, model, stream):
        if ans["kind"] == "tool":
            parts = [{"functionCall": {"name": ans["name"], "args": ans["args"]}}]
        else:
            parts = [{"text": ans["text"]}]
        um = {"promptTokenCount": usage["input_tokens"],
              "candidatesTokenCount": usage["output_tokens"],
              "totalTokenCount": usage["input_tokens"] + usage["output_tokens"],
              "cachedContentTokenCount": usage["cached_tokens"]}
        full = {"candidates": [{"content": {"role": "model", "parts": parts},
                                "finishReason": "STOP", "index": 0}],
                "usageMetadata": um, "modelVersion": model,
                "responseId": new_id("")}
        if not stream:
            return self.send_json(200, full)
        self.start_sse()
        if ans["kind"] == "text":
            pieces = split_text(ans["text"])
            for p in pieces[:-1]:
                self.sse({"candidates": [{"content": {"role": "model",
                                                      "parts": [{"text": p}]},
                                          "index": 0}],
                          "usageMetadata": {"promptTokenCount": usage["input_tokens"],
                                            "totalTokenCount": usage["input_tokens"]},
                          "modelVersion": model, "responseId": full["responseId"]})
            last = dict(full)
            last["candidates"] = [{"content": {"role": "model",
                                               "parts": [{"text": pieces[-1]}]},
                                   "finishReason": "STOP", "index": 0}]
            self.sse(last)
        else:
            self.sse(full)
        self.end_sse()


def split_text(t):
    if len(t) < 8:
        return [t]
    h = len(t) // 2
    return [t[:h], t[h:]]


def main():
    global STATE
    ap = argparse.ArgumentParser(description="fake model provider for gt tests")
    ap.add_argument("--script", required=True)
    ap.add_argument("--port-file")
    ap.add_argument("--log")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--delay-ms", type=int,
                    default=int(os.environ.get("FAKE_PROVIDER_DELAY_MS") or 0))
    a = ap.parse_args()
    with open(a.script, encoding="utf-8") as f:
        script = json.load(f)
    STATE = State(script, a.log, a.delay_ms)

    ThreadingHTTPServer.daemon_threads = True
    ThreadingHTTPServer.allow_reuse_address = True
    srv = ThreadingHTTPServer(("127.0.0.1", a.port), Handler)
    port = srv.server_address[1]

    def bye(*_):
        raise SystemExit(0)
    signal.signal(signal.SIGTERM, bye)
    signal.signal(signal.SIGINT, bye)
    if a.port_file:
        tmp = "%s.tmp.%d" % (a.port_file, os.getpid())
        with open(tmp, "w") as f:
            f.write("%d\n" % port)
        os.replace(tmp, a.port_file)
    else:
        print(port, flush=True)
    try:
        srv.serve_forever(poll_interval=0.2)
    except SystemExit:
        pass
    finally:
        srv.server_close()


if __name__ == "__main__":
    main()
