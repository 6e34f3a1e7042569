/** A small well-formedness checker for the XML we emit (SVG, JUnit): balanced tags, quoted attributes, escaped text. */
export interface XmlNode {
  name: string;
  attrs: Record<string, string>;
  children: XmlNode[];
  text: string;
}

export function parseXml(src: string): XmlNode {
  let s = src.replace(/^<\?xml[^?]*\?>\s*/, '').replace(/<!--[\s\S]*?-->/g, '');
  const root: XmlNode = { name: '#root', attrs: {}, children: [], text: '' };
  const stack: XmlNode[] = [root];
  const re = /<(\/?)([A-Za-z_][\w:.-]*)((?:\s+[\w:.-]+="[^"<]*")*)\s*(\/?)>/g;
  let last = 0;
  let m: RegExpExecArray | null;
  const checkText = (t: string): void => {
    if (/[<>]/.test(t)) throw new Error(`unescaped markup in text: ${JSON.stringify(t.slice(0, 80))}`);
    if (/&(?!(amp|lt|gt|quot|apos|#\d+);)/.test(t)) throw new Error(`bare & in text: ${JSON.stringify(t.slice(0, 80))}`);
  };
  while ((m = re.exec(s))) {
    const text = s.slice(last, m.index);
    checkText(text);
    stack[stack.length - 1]!.text += text;
    last = re.lastIndex;
    const [, close, name, attrText, self] = m;
    if (close) {
      const top = stack.pop();
      if (!top || top.name !== name) throw new Error(`mismatched </${name}> (open: ${top?.name})`);
      continue;
    }
    const attrs: Record<string, string> = {};
    for (const a of attrText!.matchAll(/([\w:.-]+)="([^"]*)"/g)) {
      if (a[1]! in attrs) throw new Error(`duplicate attribute ${a[1]} on <${name}>`);
      checkText(a[2]!);
      attrs[a[1]!] = a[2]!;
    }
    const node: XmlNode = { name: name!, attrs, children: [], text: '' };
    stack[stack.length - 1]!.children.push(node);
    if (!self) stack.push(node);
  }
  const tail = s.slice(last);
  if (tail.trim()) throw new Error(`trailing content or broken tag: ${JSON.stringify(tail.slice(0, 80))}`);
  if (stack.length !== 1) throw new Error(`unclosed <${stack[stack.length - 1]!.name}>`);
  if (root.children.length !== 1) throw new Error(`expected one root element, got ${root.children.length}`);
  s = '';
  return root.children[0]!;
}

export function findAll(n: XmlNode, name: string): XmlNode[] {
  const out: XmlNode[] = [];
  const walk = (x: XmlNode): void => {
    if (x.name === name) out.push(x);
    x.children.forEach(walk);
  };
  walk(n);
  return out;
}
