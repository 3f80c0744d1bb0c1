/**
 * A reader for UCI files (/etc/config/*) as libuci writes and reads them:
 * `package`, `config <type> [name]`, `option <name> <value>`, `list <name>
 * <value>`, `#` comments, words joined from unquoted, 'single' and "double"
 * quoted pieces, and backslash escapes outside single quotes. It never guesses:
 * anything libuci would refuse is an error naming the line.
 */

export interface UciOption {
  value: string | string[];
  line: number;
}

export interface UciSection {
  type: string;
  /** Undefined for an anonymous section (`config plan`), which uci shows as @plan[N]. */
  name: string | undefined;
  /** Position among sections of the same type: the N of @type[N]. */
  index: number;
  line: number;
  options: Map<string, UciOption>;
}

export interface UciPackage {
  name: string | undefined;
  sections: UciSection[];
}

export class UciSyntaxError extends Error {
  constructor(
    readonly file: string,
    readonly line: number,
    reason: string,
  ) {
    super(`${file}:${line}: ${reason}`);
  }
}

// libuci's rules: names are letters, digits and '_'; a section type may also hold '-'.
const NAME = /^[A-Za-z0-9_]+$/;
const TYPE = /^[A-Za-z0-9_-]+$/;

/** Splits one line into words; a '#' outside quotes at the start of a word ends the line. */
export function tokenize(text: string, fail: (reason: string) => never): string[] {
  const words: string[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (c === ' ' || c === '\t' || c === '\r') {
      i++;
      continue;
    }
    if (c === '#') break;
    let word = '';
    while (i < text.length && !/[ \t\r]/.test(text[i]!)) {
      const ch = text[i]!;
      if (ch === "'") {
        const end = text.indexOf("'", i + 1);
        if (end < 0) fail('unterminated single quote');
        word += text.slice(i + 1, end);
        i = end + 1;
      } else if (ch === '"') {
        i++;
        for (;;) {
          if (i >= text.length) fail('unterminated double quote');
          const d = text[i]!;
          if (d === '"') {
            i++;
            break;
          }
          if (d === '\\' && i + 1 < text.length) {
            word += text[i + 1];
            i += 2;
            continue;
          }
          word += d;
          i++;
        }
      } else if (ch === '\\') {
        if (i + 1 >= text.length) fail('backslash at the end of a line (continuation lines are not UCI)');
        word += text[i + 1];
        i += 2;
      } else {
        word += ch;
        i++;
      }
    }
    words.push(word);
  }
  return words;
}

export function parseUci(text: string, file = 'uci'): UciPackage {
  const pkg: UciPackage = { name: undefined, sections: [] };
  const perType = new Map<string, number>();
  let current: UciSection | undefined;
  const lines = text.split('\n');
  lines.forEach((raw, n) => {
    const fail: (reason: string) => never = (reason) => {
      throw new UciSyntaxError(file, n + 1, reason);
    };
    const words = tokenize(raw, fail);
    if (!words.length) return;
    const [kw, a, b, ...extra] = words as [string, string | undefined, string | undefined, ...string[]];
    if (extra.length) fail(`too many arguments to '${kw}'`);
    switch (kw) {
      case 'package':
        if (!a || b !== undefined) fail("'package' takes one name");
        if (pkg.sections.length) fail("'package' after the first section");
        pkg.name = a;
        return;
      case 'config': {
        if (!a) fail("'config' needs a section type");
        if (!TYPE.test(a)) fail(`invalid section type ${JSON.stringify(a)}`);
        if (b !== undefined && !NAME.test(b)) fail(`invalid section name ${JSON.stringify(b)} (letters, digits and _ only)`);
        const same = b === undefined ? undefined : pkg.sections.find((s) => s.name === b);
        if (same && same.type !== a) fail(`section '${b}' was declared with type '${same.type}' on line ${same.line}`);
        if (same) {
          current = same;
          return;
        } // libuci merges repeated named sections
        const index = perType.get(a) ?? 0;
        perType.set(a, index + 1);
        current = { type: a, name: b, index, line: n + 1, options: new Map() };
        pkg.sections.push(current);
        return;
      }
      case 'option':
      case 'list': {
        if (!current) fail(`'${kw}' before the first 'config' section`);
        if (!a || b === undefined) fail(`'${kw}' needs a name and a value`);
        if (!NAME.test(a)) fail(`invalid option name ${JSON.stringify(a)} (letters, digits and _ only)`);
        const prev = current.options.get(a);
        if (kw === 'option') current.options.set(a, { value: b, line: n + 1 });
        // As in libuci: a list item after a plain option turns it into a list that keeps the old value.
        else current.options.set(a, { value: prev === undefined ? [b] : [...[prev.value].flat(), b], line: n + 1 });
        return;
      }
      default:
        fail(`unknown keyword ${JSON.stringify(kw)} (expected package, config, option or list)`);
    }
  });
  return pkg;
}

/** How uci names a section in messages: `qlink.agent` or `qlink.@plan[0]`. */
export function sectionLabel(pkg: string, s: UciSection): string {
  return s.name === undefined ? `${pkg}.@${s.type}[${s.index}]` : `${pkg}.${s.name}`;
}
