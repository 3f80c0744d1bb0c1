// Reads TAP from tap's runner on stdin, echoes it, and prints "pass fail skip"
// counted per test case: each file's own subtests, or the file itself when it
// failed before reaching any.
import { createInterface } from 'node:readline';

let pass = 0,
  fail = 0,
  skip = 0,
  fileCases = 0,
  fileFailed = 0;
const rl = createInterface({ input: process.stdin });
for await (const line of rl) {
  process.stderr.write(line + '\n');
  const sub = /^ {4}(not ok|ok) \d+ - (.*)$/.exec(line);
  if (sub) {
    fileCases++;
    if (/# SKIP/i.test(sub[2])) skip++;
    else if (sub[1] === 'ok') pass++;
    else {
      fail++;
      fileFailed++;
    }
    continue;
  }
  const file = /^(not ok|ok) \d+ - /.exec(line);
  if (file) {
    if (file[1] === 'not ok' && fileFailed === 0) fail++;
    if (file[1] === 'ok' && fileCases === 0) pass++;
    fileCases = 0;
    fileFailed = 0;
  }
}
process.stdout.write(`${pass} ${fail} ${skip}\n`);
