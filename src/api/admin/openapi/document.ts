import { z } from 'zod';
import type { AdminRoute } from './define.ts';

type JsonSchema = Record<string, unknown>;

export const errorSchema = z
  .object({
    error: z.string().meta({ description: 'A code from the error catalogue, such as invalid_input.' }),
    message: z.string().meta({ description: 'What is wrong, in words fit to show.' }),
    details: z.record(z.string(), z.unknown()).optional(),
  })
  .meta({ id: 'Error' });

const COMMON_ERRORS: Record<number, string> = {
  400: 'The request is not valid; the message names each wrong field.',
  401: 'Not signed in, or the bearer token is not valid.',
  403: 'Not an administrator, no gatehouse:admin scope, the XSRF token is missing, or (a change with a browser session) the sign-in is older than PRIVILEGED_SESSION_MAX_AGE_SECONDS: reauthentication_required.',
};

function jsonSchema(schema: z.ZodType, io: 'input' | 'output'): JsonSchema {
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, {
    target: 'draft-2020-12',
    io,
    unrepresentable: 'any',
    reused: 'inline',
  }) as JsonSchema;
  return rest;
}

function openApiPath(path: string): string {
  return path.replace(/:(\w+)/g, '{$1}');
}

function parameters(route: AdminRoute): JsonSchema[] {
  const inPath = [...route.path.matchAll(/:(\w+)/g)].map(([, name]) => ({
    name,
    in: 'path',
    required: true,
    schema: { type: 'string' },
  }));
  if (!route.query) return inPath;
  const query = jsonSchema(route.query, 'input');
  const properties = (query.properties ?? {}) as Record<string, JsonSchema>;
  const required = new Set((query.required as string[] | undefined) ?? []);
  const inQuery = Object.entries(properties).map(([name, schema]) => ({
    name,
    in: 'query',
    required: required.has(name),
    ...(typeof schema.description === 'string' ? { description: schema.description } : {}),
    schema,
  }));
  return [...inPath, ...inQuery];
}

function responses(route: AdminRoute): Record<string, JsonSchema> {
  const errorBody = { 'application/json': { schema: jsonSchema(errorSchema, 'output') } };
  const documented: Record<string, JsonSchema> = {};
  for (const [status, response] of Object.entries(route.responses)) {
    documented[status] = {
      description: response.description,
      ...(response.schema
        ? { content: { 'application/json': { schema: jsonSchema(response.schema, 'output') } } }
        : {}),
    };
  }
  for (const [status, description] of Object.entries(COMMON_ERRORS)) {
    documented[status] ??= { description, content: errorBody };
  }
  return documented;
}

function operation(route: AdminRoute): JsonSchema {
  return {
    operationId: `${route.method}${route.path.replace(/[/:](\w)/g, (_m, c: string) => c.toUpperCase())}`,
    summary: route.summary,
    tags: [route.tag],
    parameters: parameters(route),
    ...(route.body
      ? {
          requestBody: {
            required: true,
            content: { 'application/json': { schema: jsonSchema(route.body, 'input') } },
          },
        }
      : {}),
    responses: responses(route),
  };
}

/** The OpenAPI 3.1 document of the admin API, generated from the routes' own zod schemas. */
export function openApiDocument(routes: AdminRoute[], serverUrl: string): JsonSchema {
  const paths: Record<string, Record<string, JsonSchema>> = {};
  for (const route of routes) {
    const path = openApiPath(route.path);
    paths[path] ??= {};
    paths[path][route.method] = operation(route);
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Gatehouse admin API',
      version: '1',
      description:
        'Everything the admin console does. Callers are a signed-in member of the admin group (with the X-XSRF-Token header on changes) or a client_credentials token carrying the gatehouse:admin scope.',
    },
    jsonSchemaDialect: 'https://json-schema.org/draft/2020-12/schema',
    servers: [{ url: serverUrl }],
    security: [{ bearer: [] }, { session: [] }],
    components: {
      securitySchemes: {
        bearer: {
          type: 'http',
          scheme: 'bearer',
          description: 'A client_credentials access token with gatehouse:admin.',
        },
        session: {
          type: 'apiKey',
          in: 'cookie',
          name: 'gh_session',
          description: 'The Gatehouse browser session of an administrator.',
        },
      },
    },
    paths,
  };
}
