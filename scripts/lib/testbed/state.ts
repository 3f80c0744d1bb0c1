import { readFileSync, writeFileSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { stateDir } from './paths.js';
import type { TestbedInfo } from './types.js';

const file = (id: string): string => join(stateDir(id), 'state.json');

export function saveState(info: TestbedInfo): void {
  // Rename is atomic: a reader in a parallel test never sees half a file.
  const tmp = `${file(info.id)}.tmp`;
  writeFileSync(tmp, JSON.stringify(info, null, 2) + '\n');
  renameSync(tmp, file(info.id));
}

export function loadState(id: string): TestbedInfo {
  try {
    return JSON.parse(readFileSync(file(id), 'utf8')) as TestbedInfo;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new Error(`no testbed "${id}" is up (no ${file(id)})`);
    throw e;
  }
}

export function readPid(path: string): number | null {
  try {
    const pid = Number(readFileSync(path, 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 ? pid : null;
  } catch {
    return null;
  }
}
