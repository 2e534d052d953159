import type { Reload } from '../util/setting.js';
import { envName, settingPaths } from './schema.js';

const onReload: Record<Reload, string> = { live: 'at once', diff: 'as a diff', restart: 'on restart' };

function inline(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(inline).join(', ')}]`;
  if (typeof value === 'object' && value !== null) {
    return `{${Object.entries(value)
      .map(([k, v]) => `${k}: ${inline(v)}`)
      .join(', ')}}`;
  }
  return value === '' ? '""' : String(value);
}

/** The README's configuration table, generated from the schema (`npm run readme` writes it). */
export function configTable(): string {
  const rows = settingPaths().map(({ path, setting }) => {
    const env = envName(path, setting);
    const cells = [`\`${path}\``, `\`${inline(setting.default)}\``, env ? `\`${env}\`` : '', onReload[setting.reload], setting.doc];
    return `| ${cells.map((c) => c.replace(/\|/g, '\\|')).join(' | ')} |`;
  });
  return ['| key | default | environment variable | a reload applies it | meaning |', '|---|---|---|---|---|', ...rows].join('\n');
}
