/**
 * Whether a request's Content-Type says its body is JSON: the one decision the preflight's fast
 * lane (src/preflight.ts) and the app's body reader (src/routes/shared.ts) both take, so a
 * spelling is either answered alike by both or refused alike by both (docs/rules.md, "Answers,
 * errors and callers"; docs/api.md, "Requests").
 *
 * The grammar is RFC 9110's media type (§8.3.1, parameters as §5.6.6):
 *
 *   media-type = type "/" subtype parameters
 *   parameters = *( OWS ";" OWS [ parameter ] )
 *   parameter  = token "=" ( token / quoted-string )
 *
 * so whitespace around `;` is allowed, and so is an empty parameter (`application/json;`,
 * `application/json;;`, a trailing `;`): RFC 9110 made the parameter optional on purpose, for
 * senders that emit a trailing semicolon. A parameter without a value (`charset`, `charset=`)
 * is not a parameter, and the header is refused. The type is `application/json` or a
 * structured `+json` subtype (RFC 6839), in any case. Parameters are checked for syntax and then
 * ignored: JSON is UTF-8 (RFC 8259 §8.1, which defines no charset parameter).
 *
 * A hand-written scanner rather than a regular expression: the grammar's adjacent OWS make a
 * regular expression backtrack polynomially on a long header of blanks and semicolons; this is
 * one pass.
 */

const TCHAR = /[!#$%&'*+.^_`|~0-9A-Za-z-]/;
const isTchar = (c: string | undefined) => c !== undefined && TCHAR.test(c);
const isOws = (c: string | undefined) => c === " " || c === "\t";
/** qdtext of RFC 9110 §5.6.4: HTAB, SP, VCHAR but `"` and `\`, obs-text. */
const isQdtext = (code: number) =>
  code === 0x09 ||
  code === 0x20 ||
  code === 0x21 ||
  (code >= 0x23 && code <= 0x5b) ||
  (code >= 0x5d && code <= 0x7e) ||
  (code >= 0x80 && code <= 0xff);
/** What a quoted-pair may escape: HTAB, SP, VCHAR, obs-text. */
const isQuotable = (code: number) =>
  code === 0x09 || (code >= 0x20 && code <= 0x7e) || (code >= 0x80 && code <= 0xff);

/** The end of the token starting at `i` (`i` itself when there is none). */
function tokenEnd(s: string, i: number): number {
  while (isTchar(s[i])) i++;
  return i;
}

/** The index after the quoted-string starting at `i`, or -1 when there is none. */
function quotedEnd(s: string, i: number): number {
  if (s[i] !== '"') return -1;
  for (i++; i < s.length; i++) {
    const code = s.charCodeAt(i);
    if (code === 0x22) return i + 1;
    if (code === 0x5c) {
      if (!isQuotable(s.charCodeAt(i + 1))) return -1;
      i++;
    } else if (!isQdtext(code)) {
      return -1;
    }
  }
  return -1;
}

/** True when `header` is a well-formed JSON media type; false when absent or anything else. */
export function isJsonMediaType(header: string | null | undefined): boolean {
  if (header === null || header === undefined) return false;
  const s = header;
  const slash = tokenEnd(s, 0);
  if (s.slice(0, slash).toLowerCase() !== "application" || s[slash] !== "/") return false;
  let i = tokenEnd(s, slash + 1);
  const subtype = s.slice(slash + 1, i).toLowerCase();
  if (subtype !== "json" && !(subtype.endsWith("+json") && subtype.length > "+json".length)) {
    return false;
  }
  for (;;) {
    while (isOws(s[i])) i++;
    if (i === s.length) return true;
    if (s[i] !== ";") return false;
    i++;
    while (isOws(s[i])) i++;
    if (i === s.length || s[i] === ";") continue;
    const name = tokenEnd(s, i);
    if (name === i || s[name] !== "=") return false;
    const value = tokenEnd(s, name + 1);
    i = value > name + 1 ? value : quotedEnd(s, name + 1);
    if (i < 0) return false;
  }
}

/** What the app answers for a body whose Content-Type is not JSON. */
export const NOT_JSON_MESSAGE =
  "must be application/json (or a +json type), parameters optional: e.g. application/json; charset=utf-8";
