#!/usr/bin/env python3
"""Seeds fuzz/corpus/<target>/ from ../shared/conformance and the repository's examples, at run
time (nothing of ../shared is copied into the repository). Each seed is the target's own input
format (see the target's doc comment). Usage: python3 fuzz/seed.py [SHARED_DIR]"""
import hashlib, json, os, re, sys

here = os.path.dirname(os.path.abspath(__file__))
repo = os.path.dirname(here)
shared = sys.argv[1] if len(sys.argv) > 1 else os.path.join(repo, "..", "shared")
corpus = os.path.join(here, "corpus")
seeds = {}


def add(target, text):
    data = text.encode() if isinstance(text, str) else text
    if len(data) > 64 * 1024:
        return
    seeds.setdefault(target, {})[hashlib.sha1(data).hexdigest()] = data


def compact(v):
    return json.dumps(v, separators=(",", ":"), ensure_ascii=False)


def walk(v, found):
    """Collects paths, intrinsic calls, templates, Choice rules and JSONata expressions."""
    if isinstance(v, dict):
        for k, x in v.items():
            if isinstance(x, str):
                if k.endswith(".$") or k.endswith("Path") or k in ("Variable",):
                    (found["intrinsic"] if x.startswith("States.") else found["path"]).append(x)
                if x.startswith("{%") and x.endswith("%}"):
                    found["jsonata"].append(x[2:-2].strip())
            if k in ("Parameters", "ResultSelector", "ItemSelector", "Arguments", "Output"):
                found["template"].append(x)
            if k == "Choices" and isinstance(x, list):
                found["choice"].extend(r for r in x if isinstance(r, dict))
            walk(x, found)
    elif isinstance(v, list):
        for x in v:
            walk(x, found)


definitions = []
cases_dir = os.path.join(shared, "conformance", "cases")
if os.path.isdir(cases_dir):
    for root, _, files in os.walk(cases_dir):
        for f in sorted(files):
            if f.endswith(".json"):
                with open(os.path.join(root, f)) as fh:
                    case = json.load(fh)
                definitions.append((case.get("definition"), case.get("input", {})))
else:
    print(f"{cases_dir} is absent: seeding from the examples only", file=sys.stderr)
for d in ("examples", "definitions"):
    for f in sorted(os.listdir(os.path.join(repo, d))):
        if f.endswith(".asl.json"):
            with open(os.path.join(repo, d, f)) as fh:
                definitions.append((json.load(fh), {}))

for definition, inp in definitions:
    if not isinstance(definition, dict):
        continue
    text = compact(definition)
    add("asl_bytes", json.dumps(definition, indent=1))
    add("asl_json", text)
    found = {k: [] for k in ("path", "intrinsic", "template", "choice", "jsonata")}
    walk(definition, found)
    i = compact(inp)
    for p in found["path"]:
        add("paths", p + "\n" + i)
    for c in found["intrinsic"]:
        add("intrinsics", c + "\n" + i)
    for t in found["template"]:
        add("templates", compact(t) + "\n" + i)
    for r in found["choice"]:
        add("choice", compact(r) + "\n" + i)
    for e in found["jsonata"]:
        add("jsonata", e + "\n" + i)

with open(os.path.join(repo, "examples", "order.mock.json")) as fh:
    mock = json.load(fh)
for sm in mock.get("StateMachines", {}).values():
    for case in sm.get("TestCases", {}):
        add("mock_config", case + "\n" + compact(mock))

for action in ("ListStateMachines", "CreateStateMachine", "StartExecution", "DescribeExecution",
               "GetExecutionHistory", "SendTaskSuccess"):
    for body in ('{}', '{"name":"m","definition":"{\\"StartAt\\":\\"P\\",\\"States\\":{\\"P\\":{\\"Type\\":\\"Pass\\",\\"End\\":true}}}","roleArn":"arn:aws:iam::1:role/r"}',
                 '{"stateMachineArn":"arn:aws:states:us-east-1:123456789012:stateMachine:m","input":"{}","maxResults":10,"nextToken":"x"}'):
        add("request", f"AWSStepFunctions.{action}\napplication/x-amz-json-1.0\n{body}")
add("sigv4", "host: 127.0.0.1:8083\nx-amz-date: 20251124T160000Z\nx-amz-content-sha256: e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\n"
    "authorization: AWS4-HMAC-SHA256 Credential=AKIDFUZZ/20251124/us-east-1/states/aws4_request, SignedHeaders=host;x-amz-date, Signature=0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\n\n{}")

for f in sorted(os.listdir(os.path.join(repo, "examples", "src"))):
    if f.endswith(".rs"):
        with open(os.path.join(repo, "examples", "src", f)) as fh:
            src = fh.read()
        for m in re.finditer(r"workflow!\s*\{(.*?)\n\}", src, re.S):
            add("workflow_parse", m.group(1))

for target, files in seeds.items():
    d = os.path.join(corpus, target)
    os.makedirs(d, exist_ok=True)
    for name, data in files.items():
        with open(os.path.join(d, name), "wb") as fh:
            fh.write(data)
    print(f"{target}: {len(files)} seeds")
