import type { SimRequest, SimResponse } from './types.js';

export type RouteParams = Readonly<Record<string, string>>;

/** One endpoint of a provider: `pattern` uses `:name` segments, e.g. `/api/v1/conversations/:id`. */
export interface RouteDefinition {
  readonly method: string;
  readonly pattern: string;
  /** Ids this request acts on, matched by `faults.failFor`. */
  readonly targets?: (params: RouteParams, request: SimRequest) => string[];
  readonly handle: (request: SimRequest, params: RouteParams) => SimResponse;
}

export interface MatchedRoute {
  readonly targets: string[];
  readonly handle: () => SimResponse;
}

interface CompiledRoute {
  readonly definition: RouteDefinition;
  readonly regex: RegExp;
  readonly names: string[];
}

/** A minimal method + path matcher; the simulators need nothing richer. */
export class RouteTable {
  private readonly routes: CompiledRoute[];

  constructor(definitions: readonly RouteDefinition[]) {
    this.routes = definitions.map(compile);
  }

  match(request: SimRequest): MatchedRoute | undefined {
    const path = request.path.length > 1 ? request.path.replace(/\/+$/, '') : request.path;
    for (const route of this.routes) {
      if (route.definition.method !== request.method) continue;
      const found = route.regex.exec(path);
      if (!found) continue;
      const params = paramsOf(route, found);
      if (!params) continue;
      return {
        targets: route.definition.targets?.(params, request) ?? [],
        handle: () => route.definition.handle(request, params),
      };
    }
    return undefined;
  }
}

function compile(definition: RouteDefinition): CompiledRoute {
  const names: string[] = [];
  const source = definition.pattern
    .split('/')
    .map((segment) => {
      if (!segment.startsWith(':')) return segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      names.push(segment.slice(1));
      return '([^/]+)';
    })
    .join('/');
  return { definition, regex: new RegExp(`^${source}$`), names };
}

/** Undefined when a segment is not valid percent-encoding (treated as no match). */
function paramsOf(route: CompiledRoute, found: RegExpExecArray): RouteParams | undefined {
  const params: Record<string, string> = {};
  for (const [index, name] of route.names.entries()) {
    try {
      params[name] = decodeURIComponent(found[index + 1] ?? '');
    } catch {
      return undefined;
    }
  }
  return params;
}
