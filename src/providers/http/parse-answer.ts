import type { z } from 'zod';
import { ProviderRejectedError } from '../../errors/provider-error.js';
import type { ProviderName } from '../types.js';

/**
 * Checks the part of a provider's answer that closer relies on. Schemas are
 * loose objects: providers add fields all the time and that must not break us.
 */
export function parseAnswer<S extends z.ZodType>(schema: S, body: unknown, where: { provider: ProviderName; operation: string; status: number }): z.infer<S> {
  const result = schema.safeParse(body);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const at = issue && issue.path.length > 0 ? ` at ${issue.path.join('.')}` : '';
  throw new ProviderRejectedError({ ...where }, `unexpected answer${at}: ${issue?.message ?? 'invalid'}`);
}
