/** HTML built by a tagged template that escapes every value put into it, so nothing from the network can become markup. */

export class Html {
  constructor(readonly text: string) {}
  toString(): string {
    return this.text;
  }
}

type Part = Html | string | number | null | undefined | false | readonly Part[];

const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export const escapeHtml = (s: string): string => s.replace(/[&<>"']/g, (c) => ENTITIES[c]!);

const part = (p: Part): string => {
  if (p instanceof Html) return p.text;
  if (Array.isArray(p)) return p.map(part).join('');
  if (p === null || p === undefined || p === false) return '';
  return escapeHtml(String(p));
};

/** Values are escaped (attribute values too: always quote them); only nested html`` results pass as they are. */
export function html(strings: TemplateStringsArray, ...values: Part[]): Html {
  let out = strings[0]!;
  for (let i = 0; i < values.length; i++) out += part(values[i]!) + strings[i + 1]!;
  return new Html(out);
}
