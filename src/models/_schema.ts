/**
 * @module _schema
 * Typed values at the replication boundary (issue 8 item 7): the minimal Standard Schema v1
 * interface (https://standardschema.dev; zod, valibot and arktype implement it), defined here so
 * the library needs no dependency, and one synchronous check used by every model.
 *
 * Why the check is synchronous: an update is applied inside the replication pipeline, in the
 * order it arrived; waiting for a promise would reorder updates of one source. A validator that
 * returns a promise is refused with a clear message instead.
 *
 * Why the stored value is the input, not the schema's output: peers replicate the bytes a writer
 * sent, and every peer validates them itself. A schema that transforms values is used as a check
 * only.
 */

/** One problem reported by a schema. */
export interface StandardSchemaIssue {
  readonly message: string;
  readonly path?: ReadonlyArray<PropertyKey | { readonly key: PropertyKey }> | undefined;
}

/** What `validate` returns: the value, or the issues. */
export type StandardSchemaResult<Output> =
  | { readonly value: Output; readonly issues?: undefined }
  | { readonly issues: ReadonlyArray<StandardSchemaIssue> };

/**
 * The `~standard` property of a Standard Schema v1 validator. Only what this library reads is
 * declared; any object with this shape works.
 */
export interface StandardSchemaV1<Input = unknown, Output = Input> {
  readonly '~standard': {
    readonly version: 1;
    readonly vendor: string;
    readonly validate: (value: unknown) => StandardSchemaResult<Output> | PromiseLike<StandardSchemaResult<Output>>;
    readonly types?: { readonly input: Input; readonly output: Output } | undefined;
  };
}

/** The type a schema produces. */
export type InferOutput<S> = S extends StandardSchemaV1<unknown, infer O> ? O : unknown;

/** Options every model with values accepts. */
export interface SchemaOption<V> {
  /**
   * A Standard Schema v1 validator (zod, valibot, arktype…) for this model's values. A local
   * write that fails it throws; a remote update that fails it is refused as `invalid`, never
   * applied, and counted as seen so it is not asked for again. Synchronous validators only.
   */
  schema?: StandardSchemaV1<unknown, V> | undefined;
}

/**
 * Checks a value against a schema synchronously.
 * @param schema - a Standard Schema v1 validator
 * @param value - the value to check
 * @returns `null` when it passes, otherwise a message naming the first issues
 * @example
 * ```ts
 * checkSchema(z.number(), 'x') // 'value failed the schema: Expected number, received string'
 * ```
 */
export function checkSchema(schema: StandardSchemaV1<unknown, unknown>, value: unknown): string | null {
  let result: StandardSchemaResult<unknown> | PromiseLike<StandardSchemaResult<unknown>>;
  try {
    result = schema['~standard'].validate(value);
  } catch (error) {
    return `the schema threw: ${error instanceof Error ? error.message : String(error)}`;
  }
  if (typeof (result as PromiseLike<unknown>)?.then === 'function') {
    // Attach a handler so a rejected promise does not become an unhandled rejection.
    (result as PromiseLike<unknown>).then(undefined, () => {});
    return 'the schema is asynchronous; only synchronous validators are supported';
  }
  const issues = (result as StandardSchemaResult<unknown>).issues;
  if (issues === undefined) return null;
  const text = issues
    .slice(0, 3)
    .map((issue) => {
      const path = issue.path?.map((p) => String(typeof p === 'object' ? p.key : p)).join('.');
      return path ? `${path}: ${issue.message}` : issue.message;
    })
    .join('; ');
  return `value failed the schema: ${text || 'invalid'}`;
}

/**
 * Checks the `schema` option of a model.
 * @throws TypeError when it is not a Standard Schema v1 validator
 */
export function assertSchema<V>(schema: unknown): StandardSchemaV1<unknown, V> | undefined {
  if (schema === undefined) return undefined;
  const std = (schema as { '~standard'?: { validate?: unknown } } | null)?.['~standard'];
  if (typeof std !== 'object' || std === null || typeof std.validate !== 'function') {
    const err = new TypeError('"schema" expected a Standard Schema v1 validator (an object with ["~standard"].validate)');
    (err as Error & { code: string }).code = 'ERR_SB_INVALID_ARGUMENT';
    throw err;
  }
  return schema as StandardSchemaV1<unknown, V>;
}
