/**
 * Hover text of a config file: for a key (or its value) the dotted path, type, default, allowed
 * values, description and the paper (arXiv) it comes from. Pure; Markdown out.
 */
import { arxivUrl, configSections, findLeaf, findNode, leafMarkdown, typeName } from '../../runtime/config/index';
import { entryAt, parseConfigDocument, type Span } from './document';

/** Markdown of a section: description and paper. */
export function sectionMarkdown(path: string): string {
  const sec = configSections().find((s) => s.path === path);
  if (!sec) return '';
  const parts = [`**${path}** (section)`, sec.spec.description + (sec.spec.description.endsWith('.') ? '' : '.')];
  if (sec.arxiv) parts.push(`Paper: [arXiv:${sec.arxiv}](${arxivUrl(sec.arxiv)}).`);
  parts.push(`Keys: ${Object.keys(sec.spec.children).map((k) => `\`${k}\``).join(', ')}.`);
  return parts.join('\n\n');
}

/** Markdown of a leaf: path and type line, then the runtime's leaf description. */
export function leafHoverMarkdown(path: string): string {
  const entry = findLeaf(path);
  if (!entry) return '';
  return `**${path}**: \`${typeName(entry.spec)}\`\n\n${leafMarkdown(entry)}`;
}

/** Hover at `offset`: its Markdown and the span it applies to, or undefined off any known key. */
export function configHover(text: string, offset: number): { markdown: string; span: Span } | undefined {
  const hit = entryAt(parseConfigDocument(text, offset), offset);
  if (!hit) return undefined;
  const node = findNode(hit.entry.path);
  if (!node) return undefined;
  const markdown = node.kind === 'leaf' ? leafHoverMarkdown(hit.entry.path) : sectionMarkdown(hit.entry.path);
  const span = hit.part === 'key' ? hit.entry.keySpan : (hit.entry.valueSpan ?? hit.entry.keySpan);
  return { markdown, span };
}
