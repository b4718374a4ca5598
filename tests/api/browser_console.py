"""Drives headless Chromium over the DevTools protocol (on a pipe; Python's standard library only)
like a person at the docs console: opens /docs, opens one operation, presses Execute, and reports
what the page shows as JSON on standard output. Usage: browser_console.py CHROMIUM URL SCREENSHOT PATH"""

import base64
import json
import os
import subprocess
import sys
import time

chromium, url, screenshot, operation_path = sys.argv[1:5]
DEADLINE = time.monotonic() + 60

to_browser_r, to_browser_w = os.pipe()
from_browser_r, from_browser_w = os.pipe()


def wire_pipes():
    os.dup2(to_browser_r, 3)
    os.dup2(from_browser_w, 4)


browser = subprocess.Popen(
    [chromium, "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
     "--window-size=1280,1800", "--remote-debugging-pipe", "about:blank"],
    pass_fds=(3, 4), preexec_fn=wire_pipes,
    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
)
os.close(to_browser_r)
os.close(from_browser_w)
writer = os.fdopen(to_browser_w, "wb")
reader = os.fdopen(from_browser_r, "rb")
buffer = b""
next_id = 0


def send(method, params=None, session=None):
    global next_id, buffer
    next_id += 1
    message = {"id": next_id, "method": method, "params": params or {}}
    if session:
        message["sessionId"] = session
    writer.write(json.dumps(message).encode() + b"\0")
    writer.flush()
    while True:
        if time.monotonic() > DEADLINE:
            raise TimeoutError(method)
        while b"\0" not in buffer:
            chunk = os.read(reader.fileno(), 65536)
            if not chunk:
                raise EOFError("the browser closed the pipe")
            buffer += chunk
        raw, buffer = buffer.split(b"\0", 1)
        answer = json.loads(raw)
        if answer.get("id") == next_id:
            if "error" in answer:
                raise RuntimeError(f"{method}: {answer['error']}")
            return answer.get("result", {})


def evaluate(session, expression):
    result = send("Runtime.evaluate", {"expression": expression, "returnByValue": True, "awaitPromise": True}, session)
    return result.get("result", {}).get("value")


def wait_for(session, expression, what):
    while time.monotonic() < DEADLINE:
        value = evaluate(session, expression)
        if value:
            return value
        time.sleep(0.2)
    raise TimeoutError(what)


seen = {}
try:
    target = send("Target.createTarget", {"url": "about:blank"})["targetId"]
    session = send("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
    send("Page.enable", session=session)
    send("Page.navigate", {"url": url}, session)
    wait_for(session, "document.body && document.body.getAttribute('data-console-ready') === 'true'", "the console")
    seen["paths"] = evaluate(session, "[...document.querySelectorAll('.opblock-summary-path, .opblock-summary-path__deprecated')].map(e => e.getAttribute('data-path'))")
    # Open the operation, as a person would, and press Execute (Try it out is on).
    path = json.dumps(operation_path)
    evaluate(session, f"[...document.querySelectorAll('.opblock-summary-path')].find(e => e.getAttribute('data-path') === {path}).closest('.opblock').querySelector('.opblock-summary-control').click()")
    block = f"[...document.querySelectorAll('.opblock')].find(b => b.querySelector('.opblock-summary-path')?.getAttribute('data-path') === {path})"
    wait_for(session, f"!!{block}.querySelector('button.execute')", "the Execute button")
    evaluate(session, f"{block}.querySelector('button.execute').click()")
    seen["status"] = wait_for(session, f"{block}.querySelector('.live-responses-table tbody .response-col_status')?.textContent.trim()", "the answer")
    seen["body"] = evaluate(session, f"{block}.querySelector('.live-responses-table .response-col_description pre')?.textContent")
    seen["curl"] = evaluate(session, f"{block}.querySelector('.curl-command')?.textContent")
    shot = send("Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True}, session)
    with open(screenshot, "wb") as file:
        file.write(base64.b64decode(shot["data"]))
except Exception as error:  # reported to the test, which fails with it
    seen["error"] = f"{type(error).__name__}: {error}"
    DEADLINE = time.monotonic() + 10
    try:
        seen["page"] = evaluate(session, f"{block}.innerText.slice(0, 3000)")
    except Exception:
        pass
finally:
    try:
        send("Browser.close")
    except Exception:
        pass
    try:
        browser.wait(timeout=10)
    except subprocess.TimeoutExpired:
        browser.kill()
print(json.dumps(seen))
