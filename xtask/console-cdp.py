#!/usr/bin/env python3
"""The console driven in headless Chromium over the DevTools protocol (websocket-client): clicks
a state and reads its input and output in the inspector, reads a Map's iterations, watches the
elapsed time run, stops a running execution and redrives a failed one with the page's buttons,
starts one from the state machine page, and pages through a 2,004-event history.

    python3 xtask/console-cdp.py http://127.0.0.1:PORT [CHROMIUM]

Called by xtask/console-test.sh with the server it started. Checks are structural (the DOM and
the API's answers), not pixels; SCREENSHOTS=DIR saves a PNG per step. Exits 1 on a failed check.
"""
import base64
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request

import websocket  # websocket-client

ADDR = sys.argv[1]
CHROMIUM = sys.argv[2] if len(sys.argv) > 2 else "/usr/bin/chromium"
ROLE = "arn:aws:iam::123456789012:role/console"
FAILED = []


def api(action, body):
    req = urllib.request.Request(ADDR + "/", data=json.dumps(body).encode(), method="POST", headers={
        "X-Amz-Target": "AWSStepFunctions." + action, "Content-Type": "application/x-amz-json-1.0"})
    with urllib.request.urlopen(req) as r:
        return json.load(r)


def machine(name, definition):
    return api("CreateStateMachine", {"name": name, "roleArn": ROLE,
                                      "definition": json.dumps(definition)})["stateMachineArn"]


def start(sm, inp="{}"):
    return api("StartExecution", {"stateMachineArn": sm, "input": inp})["executionArn"]


def wait_status(arn, want, timeout=30):
    end = time.time() + timeout
    while time.time() < end:
        d = api("DescribeExecution", {"executionArn": arn})
        if d["status"] in want:
            return d
        time.sleep(0.1)
    raise SystemExit(f"console-test: {arn} never reached {want}")


def as_json(text):
    try:
        return json.loads(text)
    except (TypeError, ValueError):
        return None


def check(ok, what):
    print(("ok: " if ok else "FAILED: ") + what)
    if not ok:
        FAILED.append(what)


class Page:
    def __init__(self, ws_url):
        self.ws = websocket.create_connection(ws_url, timeout=30, suppress_origin=True)
        self.n = 0

    def call(self, method, **params):
        self.n += 1
        self.ws.send(json.dumps({"id": self.n, "method": method, "params": params}))
        while True:
            msg = json.loads(self.ws.recv())
            if msg.get("id") == self.n:
                if "error" in msg:
                    raise RuntimeError(f"{method}: {msg['error']}")
                return msg.get("result", {})

    def eval(self, js):
        r = self.call("Runtime.evaluate", expression=js, returnByValue=True, awaitPromise=True)
        if "exceptionDetails" in r:
            raise RuntimeError(f"{js}: {r['exceptionDetails']}")
        return r["result"].get("value")

    def goto(self, path):
        self.call("Page.navigate", url=ADDR + path)
        time.sleep(0.3)

    def wait(self, js, what, timeout=15):
        end = time.time() + timeout
        while time.time() < end:
            try:
                if self.eval(f"!!({js})"):
                    return True
            except RuntimeError:
                pass
            time.sleep(0.1)
        check(False, f"waiting for {what}")
        return False

    def click(self, selector):
        """A mouse click at the element's centre, as a person clicks."""
        rect = self.eval(f"(() => {{ const e = document.querySelector({json.dumps(selector)}); e.scrollIntoView({{block: 'center'}});"
                         " const r = e.getBoundingClientRect(); return [r.x + r.width / 2, r.y + r.height / 2]; })()")
        for kind in ("mousePressed", "mouseReleased"):
            self.call("Input.dispatchMouseEvent", type=kind, x=rect[0], y=rect[1], button="left", clickCount=1)

    def text(self, selector):
        return self.eval(f"(() => {{ const e = document.querySelector({json.dumps(selector)}); return e ? e.textContent : null; }})()")

    def shot(self, name):
        d = os.environ.get("SCREENSHOTS")
        if d:
            os.makedirs(d, exist_ok=True)
            data = self.call("Page.captureScreenshot", format="png")["data"]
            with open(os.path.join(d, name + ".png"), "wb") as f:
                f.write(base64.b64decode(data))


def main():
    # The executions the page works on.
    inspect_sm = machine("Inspect", {"StartAt": "Hello", "States": {
        "Hello": {"Type": "Pass", "Parameters": {"greeting.$": "States.Format('hello {}', $.who)", "items": [1, 2, 3]}, "Next": "Each"},
        "Each": {"Type": "Map", "ItemsPath": "$.items", "ItemProcessor": {"StartAt": "Double", "States": {
            "Double": {"Type": "Pass", "End": True}}}, "ResultPath": "$.done", "Next": "Done"},
        "Done": {"Type": "Succeed"}}})
    inspected = start(inspect_sm, json.dumps({"who": "inspector"}))
    slow = start(machine("Slow", {"StartAt": "Sleep", "States": {"Sleep": {"Type": "Wait", "Seconds": 300, "End": True}}}))
    failed = start(machine("Flaky", {"StartAt": "Boom", "States": {"Boom": {"Type": "Fail", "Error": "Flaky.Error", "Cause": "on purpose"}}}))
    # 500 rounds of Pass + Choice (4 events each) + 4 = 2,004 events.
    long = start(machine("Long", {"StartAt": "Count", "States": {
        "Count": {"Type": "Pass", "Parameters": {"n.$": "States.MathAdd($.n, 1)"}, "Next": "More"},
        "More": {"Type": "Choice", "Choices": [{"Variable": "$.n", "NumericLessThan": 500, "Next": "Count"}], "Default": "End"},
        "End": {"Type": "Succeed"}}}), json.dumps({"n": 0}))
    wait_status(inspected, {"SUCCEEDED"})
    wait_status(failed, {"FAILED"})
    wait_status(long, {"SUCCEEDED"}, timeout=120)
    events = 0
    token = None
    while True:
        body = {"executionArn": long, "maxResults": 1000}
        if token:
            body["nextToken"] = token
        page = api("GetExecutionHistory", body)
        events += len(page["events"])
        token = page.get("nextToken")
        if not token:
            break

    profile = tempfile.mkdtemp()
    browser = subprocess.Popen([CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                                "--remote-debugging-address=127.0.0.1", "--remote-debugging-port=0",
                                "--window-size=1280,1600", f"--user-data-dir={profile}", "about:blank"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        port_file = os.path.join(profile, "DevToolsActivePort")
        for _ in range(200):
            if os.path.exists(port_file) and open(port_file).read().strip():
                break
            time.sleep(0.05)
        port = open(port_file).read().split()[0]
        targets = json.load(urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list"))
        page = Page(next(t for t in targets if t["type"] == "page")["webSocketDebuggerUrl"])
        page.call("Page.enable")
        page.call("Runtime.enable")

        # 1. Click a state; the inspector shows its input and output.
        page.goto("/?execution=" + urllib.parse.quote(inspected, safe=""))
        page.wait("document.querySelector('[data-state=\"Hello\"]')", "the graph")
        page.click('[data-state="Hello"]')
        page.wait("document.getElementById('inspected')", "the inspector")
        inp, out = page.text('#inspector [data-field="input"]'), page.text('#inspector [data-field="output"]')
        check(as_json(inp) == {"who": "inspector"}, f"the inspector shows Hello's input ({inp!r})")
        check(as_json(out) == {"greeting": "hello inspector", "items": [1, 2, 3]},
              f"the inspector shows Hello's output ({out!r})")
        check(page.text('#inspector [data-field="retries"]') == "0", "the inspector shows retries")
        check((page.text('#inspector [data-field="duration"]') or "").endswith(("ms", "s")), "the inspector shows a duration")
        page.shot("inspector")
        page.click('[data-state="Each"] > div:first-child')
        page.wait("document.getElementById('inspected') && document.getElementById('inspected').textContent === 'Each'", "the Map state inspected")
        rows = page.eval("document.querySelectorAll('#iterations tr[data-iteration]').length")
        check(rows == 3, f"the Map state's 3 iterations are listed ({rows})")

        # 2. Stop a running execution with the page's button; the elapsed time runs meanwhile.
        page.goto("/?execution=" + urllib.parse.quote(slow, safe=""))
        page.wait("document.getElementById('stop-execution')", "the Stop button")
        first = page.text("#elapsed")
        time.sleep(1.5)
        check(page.text("#elapsed") != first, f"the elapsed time runs ({first!r} → {page.text('#elapsed')!r})")
        page.shot("running")
        page.click("#stop-execution")
        page.wait("document.querySelector('#exec-status [data-status=\"ABORTED\"]')", "the execution shown ABORTED")
        check(api("DescribeExecution", {"executionArn": slow})["status"] == "ABORTED", "Stop aborted the execution")

        # 3. Redrive a failed one.
        page.goto("/?execution=" + urllib.parse.quote(failed, safe=""))
        page.wait("document.getElementById('redrive-execution')", "the Redrive button")
        page.click("#redrive-execution")
        ok = False
        for _ in range(100):
            if api("DescribeExecution", {"executionArn": failed}).get("redriveCount") == 1:
                ok = True
                break
            time.sleep(0.1)
        check(ok, "Redrive redrove the execution (redriveCount 1)")
        page.wait("document.querySelector('[data-event=\"ExecutionRedriven\"]')", "ExecutionRedriven in the history")

        # 4. Page through the 2,003-event history.
        check(events == 2004, f"the long execution has 2,004 events ({events})")
        page.goto("/?execution=" + urllib.parse.quote(long, safe=""))
        page.wait("document.getElementById('history-page')", "the history pager")
        pages = int(page.eval("document.getElementById('history-page').dataset.pages"))
        check(pages == 21, f"21 pages of 100 events ({pages})")
        seen = []
        for i in range(pages):
            page.wait(f"document.getElementById('history-page') && document.getElementById('history-page').dataset.page === '{i}'", f"page {i + 1}")
            ids = page.eval("[...document.querySelectorAll('#history tr[data-id]')].map((r) => +r.dataset.id)")
            if len(ids) > 100:
                check(False, f"page {i + 1} shows at most 100 events ({len(ids)})")
            seen.extend(ids)
            if i + 1 < pages:
                page.click("#history-next")
        check(seen == list(range(1, 2005)), f"every event once, in order, across the pages ({len(seen)} rows)")
        page.shot("history-last-page")
        page.eval("(() => { const f = document.getElementById('history-filter'); f.value = 'Choice'; f.dispatchEvent(new Event('change')); })()")
        page.wait("document.querySelectorAll('#history tr[data-id]').length > 0 && [...document.querySelectorAll('#history tr[data-event]')].every((r) => r.dataset.event.includes('Choice'))", "the filtered history")

        # 5. The state machine page: definition, graph, versions; start an execution from it.
        api("PublishStateMachineVersion", {"stateMachineArn": inspect_sm, "description": "v1"})
        page.goto("/?machine=Inspect")
        page.wait("document.getElementById('definition')", "the state machine page")
        check("Hello" in (page.text("#definition") or ""), "the definition is shown")
        check(page.eval("document.querySelectorAll('#graph [data-state]').length") == 4, "the graph has its 4 states")
        check(page.eval("document.querySelectorAll('#versions tr').length") == 2, "the version is listed")
        page.eval("document.getElementById('start-input').value = JSON.stringify({who: 'page'})")
        page.click("#start-execution")
        page.wait("location.search.startsWith('?execution=')", "the new execution's page")
        arn = urllib.parse.unquote(page.eval("location.search").split("=", 1)[1])
        d = wait_status(arn, {"SUCCEEDED"})
        check(json.loads(d["input"]) == {"who": "page"}, "the execution started from the page has its input")
        page.shot("machine")
    finally:
        browser.kill()
        browser.wait()
        shutil.rmtree(profile, ignore_errors=True)
    print(f"console-cdp: {'0 failed' if not FAILED else str(len(FAILED)) + ' failed'}")
    return 1 if FAILED else 0


if __name__ == "__main__":
    sys.exit(main())
