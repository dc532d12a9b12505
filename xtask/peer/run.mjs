#!/usr/bin/env node
// Peer runner for `cargo xtask bench`: times aws-local-stepfunctions (the peer
// stepfn is compared against) on the shared ASL workloads.
//
// Usage:
//   node run.mjs --workloads DIR [--peer-dir DIR] [--quick] [--seconds S] NAME...
//
//   --workloads DIR  folder holding NAME.asl.json, NAME.input.json, NAME.expected.json
//                    and manifest.json ({"NAME": {"transitions": N}, ...})
//   --peer-dir DIR   folder whose node_modules holds aws-local-stepfunctions
//                    (default: resolve it the normal way from this file)
//   --quick          time each workload for ~0.5 s instead of ~3 s
//   --seconds S      time each workload for ~S seconds (overrides --quick)
//   --rounds W       one workload, in this process: check it, warm up for W seconds (untimed:
//                    the JIT compiles the hot paths), print {"name","ready":true,
//                    "warmup_executions","warmup_seconds"}, then time one round per
//                    `round SECONDS` line read on stdin and print its record, until the end of
//                    stdin or a blank line (then {"name","rounds"}). `cargo xtask bench` drives
//                    the peer this way, its rounds interleaved with stepfn's engines.
//
// Every workload runs in a node process of its own (this script re-spawns itself
// with --child), so one workload's heap never counts towards the next one's peak RSS.
// For each workload: build one StateMachine (validation on), run it once and check the
// output deep-equals NAME.expected.json (not timed), then run executions one after another for
// the time budget, in two halves (the protocol of stepfn-bench): latencies, each execution
// timed alone (at least one); then throughput, batches of executions (about 50 us of them by
// the mean latency, 1 to 64) timed as a whole, every output checked after its batch.
// `executions_per_sec` is the second phase's executions over `seconds`, its batches' time.
//
// Output: one JSON line per workload on stdout, in the order given:
//   {"name","executions","seconds","executions_per_sec","transitions_per_sec",
//    "p50_us","p99_us","peak_rss_bytes", ...extra fields}
// or, when a workload fails (bad definition, execution error, wrong output):
//   {"name","error"}
// Progress goes to stderr. Exit status is 1 if any workload failed, 2 on bad usage.

import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { isDeepStrictEqual } from 'node:util';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const PEER_PACKAGE = 'aws-local-stepfunctions';
const PEER_VERSION = '3.0.0';
const FULL_SECONDS = 3.0;
const QUICK_SECONDS = 0.5;
// The most executions a throughput batch holds.
const MAX_BATCH = 64;

// Per-workload run options, as the workloads' README prescribes.
const RUN_OPTIONS = {
  e_retry_catch: { overrides: { retryIntervalOverrides: { Guarded: 0 } } },
};

function usage(message) {
  process.stderr.write(`run.mjs: ${message}\n`);
  process.stderr.write(
    'usage: node run.mjs --workloads DIR [--peer-dir DIR] [--quick] [--seconds S] NAME...\n',
  );
  process.exit(2);
}

function parseArgs(argv) {
  const args = {
    workloads: null, peerDir: null, seconds: null, quick: false, child: false, rounds: null, names: [],
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => {
      if (i + 1 >= argv.length) usage(`${a} needs a value`);
      return argv[++i];
    };
    switch (a) {
      case '--workloads': args.workloads = value(); break;
      case '--peer-dir': args.peerDir = value(); break;
      case '--seconds': {
        const s = Number(value());
        if (!Number.isFinite(s) || s < 0) usage('--seconds needs a non-negative number');
        args.seconds = s;
        break;
      }
      case '--quick': args.quick = true; break;
      case '--child': args.child = true; break;
      case '--rounds': {
        const s = Number(value());
        if (!Number.isFinite(s) || s < 0) usage('--rounds needs a non-negative number of seconds');
        args.rounds = s;
        args.child = true;
        break;
      }
      default:
        if (a.startsWith('--')) usage(`unknown option ${a}`);
        args.names.push(a);
    }
  }
  if (!args.workloads) usage('--workloads DIR is required');
  if (args.names.length === 0) usage('no workload names given');
  if (args.seconds === null) args.seconds = args.quick ? QUICK_SECONDS : FULL_SECONDS;
  return args;
}

function readJson(file) {
  return JSON.parse(readFileSync(file, 'utf8'));
}

// ---------------------------------------------------------------- parent ---

function runChild(args, name) {
  const childArgv = [
    fileURLToPath(import.meta.url),
    '--child',
    '--workloads', args.workloads,
    '--seconds', String(args.seconds),
  ];
  if (args.peerDir) childArgv.push('--peer-dir', args.peerDir);
  childArgv.push(name);
  return new Promise((resolve) => {
    const child = spawn(process.execPath, childArgv, { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk) => { out += chunk; });
    child.on('error', (err) => resolve({ name, error: `could not start node: ${err.message}` }));
    child.on('close', (code, signal) => {
      const lines = out.split('\n').filter((l) => l.trim() !== '');
      let parsed = null;
      if (lines.length > 0) {
        try { parsed = JSON.parse(lines[lines.length - 1]); } catch { parsed = null; }
      }
      if (parsed && typeof parsed === 'object' && parsed.name === name) {
        resolve(parsed);
      } else {
        const how = signal ? `killed by ${signal}` : `exit status ${code}`;
        resolve({ name, error: `child process gave no result (${how})` });
      }
    });
  });
}

async function parentMain(args) {
  let failed = false;
  for (const name of args.names) {
    process.stderr.write(`peer: ${name} ...\n`);
    const result = await runChild(args, name);
    if (result.error !== undefined) {
      failed = true;
      process.stderr.write(`peer: ${name} FAILED: ${result.error}\n`);
    } else {
      process.stderr.write(
        `peer: ${name}: ${result.executions} executions in ${result.seconds.toFixed(2)} s, ` +
        `${result.executions_per_sec.toFixed(1)} exec/s, p50 ${result.p50_us.toFixed(0)} us, ` +
        `peak RSS ${(result.peak_rss_bytes / 1048576).toFixed(0)} MiB\n`,
      );
    }
    process.stdout.write(JSON.stringify(result) + '\n');
  }
  process.exitCode = failed ? 1 : 0;
}

// ----------------------------------------------------------------- child ---

async function loadPeer(peerDir) {
  let pkgDir;
  if (peerDir) {
    pkgDir = path.resolve(peerDir, 'node_modules', PEER_PACKAGE);
  } else {
    const here = path.dirname(fileURLToPath(import.meta.url));
    pkgDir = path.join(here, 'node_modules', PEER_PACKAGE);
  }
  let pkg;
  try {
    pkg = readJson(path.join(pkgDir, 'package.json'));
  } catch (err) {
    throw new Error(`${PEER_PACKAGE} is not installed in ${pkgDir} (${err.message})`);
  }
  if (pkg.version !== PEER_VERSION) {
    throw new Error(`${pkgDir} holds ${PEER_PACKAGE} ${pkg.version}, want ${PEER_VERSION}`);
  }
  // Import the node ESM build directly, as `import 'aws-local-stepfunctions'` would.
  const entry = (pkg.exports && pkg.exports.import) || pkg.module || pkg.main;
  const mod = await import(pathToFileURL(path.join(pkgDir, entry)).href);
  if (typeof mod.StateMachine !== 'function') {
    throw new Error(`${PEER_PACKAGE} has no StateMachine export`);
  }
  return { StateMachine: mod.StateMachine, version: pkg.version };
}

// Path of the first difference between two JSON values, for mismatch reports.
function firstDifference(got, want, at = '$') {
  if (isDeepStrictEqual(got, want)) return null;
  const kind = (v) => (v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v);
  const show = (v) => { const s = JSON.stringify(v); return s.length > 80 ? s.slice(0, 77) + '...' : s; };
  if (kind(got) !== kind(want)) return `${at}: got ${kind(got)} ${show(got)}, want ${kind(want)} ${show(want)}`;
  if (Array.isArray(got)) {
    if (got.length !== want.length) return `${at}: got ${got.length} items, want ${want.length}`;
    for (let i = 0; i < got.length; i++) {
      const d = firstDifference(got[i], want[i], `${at}[${i}]`);
      if (d) return d;
    }
  } else if (kind(got) === 'object') {
    for (const k of Object.keys(want)) {
      if (!(k in got)) return `${at}.${k}: missing`;
      const d = firstDifference(got[k], want[k], `${at}.${k}`);
      if (d) return d;
    }
    for (const k of Object.keys(got)) {
      if (!(k in want)) return `${at}.${k}: unexpected field`;
    }
  }
  return `${at}: got ${show(got)}, want ${show(want)}`;
}

// Nearest-rank percentile of an ascending array.
function percentile(sorted, p) {
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1];
}

function describeError(err) {
  if (err && typeof err === 'object') {
    const parts = [err.name, err.message].filter(Boolean);
    if (err.cause && typeof err.cause === 'object' && err.cause.message) parts.push(`(${err.cause.message})`);
    return parts.join(': ') || String(err);
  }
  return String(err);
}

// One timed run of ~`seconds`, executions one after another, in two halves (the protocol of
// stepfn-bench): latencies, each execution timed alone (at least one); then throughput,
// batches of executions (about 50 us of them by the mean latency, 1 to 64) timed as a whole,
// outputs checked after a batch's timer stops (at least one batch).
async function timeRound(name, runOnce, expected, transitions, seconds, fixed) {
  const halfNs = BigInt(Math.round((seconds / 2) * 1e9));
  const latenciesNs = [];
  let last;
  const start = process.hrtime.bigint();
  let now = start;
  do {
    const t0 = process.hrtime.bigint();
    last = await runOnce();
    now = process.hrtime.bigint();
    latenciesNs.push(Number(now - t0));
  } while (now - start < halfNs);

  // The last timed execution must still give the right answer (catches input mutation).
  const lastDiff = firstDifference(last, expected);
  if (lastDiff) throw new Error(`wrong output on a repeated execution: ${lastDiff}`);

  latenciesNs.sort((a, b) => a - b);
  const meanUs = latenciesNs.reduce((s, v) => s + v, 0) / latenciesNs.length / 1e3;

  const batch = Math.min(MAX_BATCH, Math.max(1, Math.round(50 / meanUs)));
  const outputs = new Array(batch);
  let executions = 0;
  let timedNs = 0n;
  let cpuUs = 0;
  const phase = process.hrtime.bigint();
  do {
    const c0 = process.cpuUsage();
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < batch; i++) outputs[i] = await runOnce();
    now = process.hrtime.bigint();
    const c = process.cpuUsage(c0);
    cpuUs += c.user + c.system;
    timedNs += now - t0;
    for (let i = 0; i < batch; i++) {
      const d = firstDifference(outputs[i], expected);
      if (d) throw new Error(`wrong output on a repeated execution: ${d}`);
      outputs[i] = undefined;
    }
    executions += batch;
  } while (now - phase < halfNs);
  const timedSeconds = Number(timedNs) / 1e9;
  const executionsPerSec = executions / timedSeconds;
  return {
    name,
    executions,
    latency_executions: latenciesNs.length,
    throughput_batch: batch,
    wall_seconds: Number(now - start) / 1e9,
    seconds: timedSeconds,
    // The process's CPU time (all threads: the JIT and GC helpers too) over the same batches.
    cpu_seconds: cpuUs / 1e6,
    executions_per_sec: executionsPerSec,
    transitions_per_sec: executionsPerSec * transitions,
    p50_us: percentile(latenciesNs, 50) / 1e3,
    p99_us: percentile(latenciesNs, 99) / 1e3,
    // maxRSS is the process's peak resident set size in KiB (getrusage ru_maxrss).
    peak_rss_bytes: process.resourceUsage().maxRSS * 1024,
    mean_us: meanUs,
    min_us: latenciesNs[0] / 1e3,
    max_us: latenciesNs[latenciesNs.length - 1] / 1e3,
    ...fixed,
  };
}

async function childMain(args) {
  const name = args.names[0];
  const dir = args.workloads;
  try {
    const manifest = readJson(path.join(dir, 'manifest.json'));
    const transitions = manifest[name] && manifest[name].transitions;
    if (!Number.isFinite(transitions)) throw new Error(`${name} has no transitions in manifest.json`);
    const definition = readJson(path.join(dir, `${name}.asl.json`));
    const input = readJson(path.join(dir, `${name}.input.json`));
    const expected = readJson(path.join(dir, `${name}.expected.json`));
    const runOptions = RUN_OPTIONS[name] ?? {};

    const { StateMachine, version } = await loadPeer(args.peerDir);

    let machine;
    try {
      machine = new StateMachine(definition); // validation on (the default)
    } catch (err) {
      throw new Error(`definition rejected: ${describeError(err)}`);
    }

    const runOnce = async () => machine.run(input, runOptions).result;

    // Correctness check, not timed.
    const checkStart = process.hrtime.bigint();
    let output;
    try {
      output = await runOnce();
    } catch (err) {
      throw new Error(`execution failed: ${describeError(err)}`);
    }
    const firstRunUs = Number(process.hrtime.bigint() - checkStart) / 1e3;
    const diff = firstDifference(output, expected);
    if (diff) throw new Error(`wrong output: ${diff}`);
    // Peak RSS after load + validation + one execution: unlike peak_rss_bytes it does not
    // depend on how many executions fit in the time budget (the peer retains memory per
    // execution on workloads with Parallel or Map).
    const firstRunRssBytes = process.resourceUsage().maxRSS * 1024;

    const fixed = {
      transitions_per_execution: transitions,
      first_run_us: firstRunUs,
      first_run_peak_rss_bytes: firstRunRssBytes,
      peer: `${PEER_PACKAGE}@${version}`,
      node: process.version,
    };
    const round = (seconds) => timeRound(name, runOnce, expected, transitions, seconds, fixed);
    if (args.rounds === null) {
      process.stdout.write(JSON.stringify(await round(args.seconds)) + '\n');
      return;
    }
    // Rounds: warm up (the JIT compiles the hot paths) untimed, say so, then one timed round
    // per `round SECONDS` line on stdin until its end.
    const warmupNs = BigInt(Math.round(args.rounds * 1e9));
    let warmupExecutions = 0;
    const warmupStart = process.hrtime.bigint();
    while (process.hrtime.bigint() - warmupStart < warmupNs) {
      await runOnce();
      warmupExecutions++;
    }
    const warmupSeconds = Number(process.hrtime.bigint() - warmupStart) / 1e9;
    process.stdout.write(JSON.stringify({
      name, ready: true, warmup_executions: warmupExecutions, warmup_seconds: warmupSeconds,
    }) + '\n');
    let rounds = 0;
    for await (const line of createInterface({ input: process.stdin })) {
      const m = /^round ([0-9.]+)$/.exec(line.trim());
      if (line.trim() === '') break;
      if (!m) throw new Error(`bad round command ${JSON.stringify(line)} (want \`round SECONDS\`)`);
      process.stdout.write(JSON.stringify(await round(Number(m[1]))) + '\n');
      rounds++;
    }
    process.stdout.write(JSON.stringify({ name, rounds }) + '\n');
  } catch (err) {
    process.stdout.write(JSON.stringify({ name, error: err instanceof Error ? err.message : String(err) }) + '\n');
    process.exitCode = 1;
  }
}

const args = parseArgs(process.argv.slice(2));
if (args.child) {
  if (args.names.length !== 1) usage('--child takes exactly one workload name');
  await childMain(args);
} else {
  await parentMain(args);
}
