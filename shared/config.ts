import * as z from 'zod';

/**
 * Configuration comes from environment variables, parsed once at module load
 * with zod. A missing or malformed variable fails the cold start with its
 * name, instead of failing the first request that needs it.
 */
export function readConfig<S extends z.ZodRawShape>(
  shape: S,
  env: Record<string, string | undefined> = process.env,
): z.output<z.ZodObject<S>> {
  const result = z.object(shape).safeParse(env);
  if (!result.success) {
    const problems = result.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; ');
    throw new Error(`Invalid configuration: ${problems}`);
  }
  return result.data;
}

/** Variables shared by many modules. */
export const configVars = {
  TABLE_NAME: z.string().min(3).max(255),
  /** Comma-separated e-mail addresses of the operations team. */
  OPS_EMAIL: z
    .string()
    .transform((value) => value.split(',').map((address) => address.trim()).filter(Boolean))
    .pipe(z.array(z.email()).min(1)),
  MAIL_FROM: z.email(),
};
