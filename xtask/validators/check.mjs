// Runs the third-party ASL validators users rely on — asl-validator on every exported definition,
// @wmfs/statelint on those without JSONata or variables (statelint predates them) — over the
// files given on the command line. Resource placeholders (`${name}`, filled in at deployment like
// CloudFormation's DefinitionSubstitutions) are replaced by a sample Lambda ARN first, as a
// deployment would. Exit 1 when any validator rejects a definition.
import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, basename } from "node:path";

const here = new URL(".", import.meta.url).pathname;
const bin = (name) => join(here, "node_modules", ".bin", name);
const scratch = mkdtempSync(join(tmpdir(), "stepfn-validators-"));
// Where a validator rejects what AWS accepts, the gap is recorded here, not hidden.
const KNOWN_GAPS = [
  {
    tool: "statelint",
    message: /Seconds is "0", but allowed floor is 0/,
    why: "statelint rejects `Seconds: 0`, which AWS accepts (Wait Seconds ranges over 0..99999999)",
  },
];
let failed = 0;
let gaps = 0;
let checked = 0;
for (const file of process.argv.slice(2)) {
  const text = readFileSync(file, "utf8").replace(/\$\{([A-Za-z0-9_]+)\}/g, "arn:aws:lambda:us-east-1:123456789012:function:$1");
  const substituted = join(scratch, basename(file));
  writeFileSync(substituted, text);
  const usesJsonataOrVariables = /"QueryLanguage"\s*:\s*"JSONata"|"Assign"\s*:/.test(text);
  const runs = [["asl-validator", ["--json-path", substituted]]];
  if (!usesJsonataOrVariables) runs.push(["statelint", [substituted]]);
  for (const [tool, args] of runs) {
    checked++;
    try {
      execFileSync(bin(tool), args, { stdio: "pipe" });
      console.log(`ok      ${tool}: ${file}`);
    } catch (e) {
      const out = `${(e.stdout || "").toString()}${(e.stderr || "").toString()}`;
      const problems = out.split("\n").filter((l) => l.startsWith("\t"));
      const gap = KNOWN_GAPS.find((g) => g.tool === tool && problems.length > 0 && problems.every((p) => g.message.test(p)));
      if (gap) {
        gaps++;
        console.log(`GAP     ${tool}: ${file}: ${gap.why}`);
      } else {
        failed++;
        console.log(`FAILED  ${tool}: ${file}\n${out}`);
      }
    }
  }
}
console.log(`third-party validators: ${checked - failed - gaps} passed, ${failed} failed, ${gaps} known gaps`);
process.exit(failed ? 1 : 0);
