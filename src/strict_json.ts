/**
 * JSON from files, parsed strictly: JSON.parse keeps the last of two equal keys in an object
 * without a word, so a file holding `{"step": 600, ..., "step": 7}` would mean whatever its
 * last copy says. `parseStrictJSON` parses and then walks the text once more to refuse any
 * object with a repeated key (compared after unescaping, so "a" and "\u0061" are the same).
 */

/** The first repeated key of any object in the (valid) JSON text `text`, or null. */
export function duplicateKey(text: string): string | null {
  const stack: (Set<string> | null)[] = []; // a Set per open object, null per open array
  let expectKey = false;
  for (let i = 0; i < text.length; ) {
    const c = text.charCodeAt(i);
    if (c === 0x7b /* { */) {
      stack.push(new Set());
      expectKey = true;
      i++;
    } else if (c === 0x5b /* [ */) {
      stack.push(null);
      expectKey = false;
      i++;
    } else if (c === 0x7d /* } */ || c === 0x5d /* ] */) {
      stack.pop();
      i++;
    } else if (c === 0x2c /* , */) {
      expectKey = stack.length > 0 && stack[stack.length - 1] !== null;
      i++;
    } else if (c === 0x22 /* " */) {
      let j = i + 1;
      while (j < text.length && text.charCodeAt(j) !== 0x22) j += text.charCodeAt(j) === 0x5c /* \ */ ? 2 : 1;
      const top = stack[stack.length - 1];
      if (expectKey && top) {
        const key = JSON.parse(text.slice(i, j + 1)) as string;
        if (top.has(key)) return key;
        top.add(key);
        expectKey = false;
      }
      i = j + 1;
    } else i++; // whitespace, ':', numbers, true/false/null
  }
  return null;
}

/** JSON.parse that also refuses repeated keys; throws SyntaxError naming the key. */
export function parseStrictJSON(text: string): unknown {
  const v = JSON.parse(text) as unknown;
  const dup = duplicateKey(text);
  if (dup !== null) throw new SyntaxError(`the key ${JSON.stringify(dup).slice(0, 80)} appears twice in one object`);
  return v;
}
