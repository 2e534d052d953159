import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { DockerfileParser, type Flag, type Instruction } from 'dockerfile-ast';

/** The Dockerfile read as a builder reads it: stages, their instructions, and the image's command. */
export const repoPath = (path: string) => fileURLToPath(new URL(`../../${path}`, import.meta.url));
export const dockerfileText = readFileSync(repoPath('Dockerfile'), 'utf8');
export const dockerfile = DockerfileParser.parse(dockerfileText);

export interface Stage {
  readonly name: string;
  readonly image: string;
  readonly instructions: readonly Instruction[];
}

export const stages: readonly Stage[] = (() => {
  const result: { name: string; image: string; instructions: Instruction[] }[] = [];
  for (const instruction of dockerfile.getInstructions()) {
    if (instruction.getKeyword() === 'FROM') {
      const from = dockerfile.getFROMs().find((f) => f.getRange().start.line === instruction.getRange().start.line);
      result.push({ name: from?.getBuildStage() ?? '', image: from?.getImage() ?? '', instructions: [] });
    } else {
      result.at(-1)?.instructions.push(instruction);
    }
  }
  return result;
})();

export const runtime: Stage = stages.at(-1) ?? assert.fail('the Dockerfile has no stage');

/** The JSON (exec) form of an instruction's arguments, e.g. ENTRYPOINT ["tini", "--", ...]. */
export function execForm(instruction: Instruction | undefined): string[] {
  const text = instruction?.getArgumentsContent() ?? assert.fail('missing instruction');
  const json = text.replace(/^CMD\s+/, '');
  const parsed: unknown = JSON.parse(json);
  assert.ok(Array.isArray(parsed) && parsed.every((a) => typeof a === 'string'), `not the exec form: ${text}`);
  return parsed;
}

/** The --flags of COPY or HEALTHCHECK (the parser types them on those instruction classes only). */
export function flags(instruction: Instruction | undefined): Flag[] {
  return (instruction as unknown as { getFlags?: () => Flag[] } | undefined)?.getFlags?.() ?? [];
}

export function only(stage: Stage, keyword: string): Instruction[] {
  return stage.instructions.filter((i) => i.getKeyword() === keyword);
}

export interface Copy {
  readonly from: string | undefined;
  readonly sources: readonly string[];
  readonly dest: string;
}

export function copies(stage: Stage): Copy[] {
  return only(stage, 'COPY').map((instruction) => {
    const args = instruction.getArguments().map((a) => a.getValue());
    const from =
      flags(instruction)
        .find((f) => f.getName() === 'from')
        ?.getValue() ?? undefined;
    return { from, sources: args.slice(0, -1), dest: args.at(-1) ?? '' };
  });
}

/** The shell commands of a stage's RUN instructions (shell form), continuation lines joined. */
export function runs(stage: Stage): string[] {
  return only(stage, 'RUN').map((i) =>
    (i.getArgumentsContent() ?? '')
      .replace(/\\\r?\n/g, ' ')
      .replace(/\s+/g, ' ')
      .trim(),
  );
}

export function workdir(stage: Stage): string {
  return only(stage, 'WORKDIR').at(-1)?.getArgumentsContent() ?? '/';
}

/** The command the image runs by default: ENTRYPOINT followed by CMD. */
export const imageCommand: string[] = [...execForm(only(runtime, 'ENTRYPOINT').at(-1)), ...execForm(only(runtime, 'CMD').at(-1))];
