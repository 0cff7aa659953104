import type { RecordedRequest } from '../../src/simulators/index.js';

/** A simulator's record of one request: a plain GET answered 200 at time 0, unless told otherwise. */
export const recordedRequest = (fields: Partial<RecordedRequest> = {}): RecordedRequest => ({
  method: 'GET',
  path: '/',
  query: {},
  headers: {},
  body: undefined,
  rawBody: '',
  status: 200,
  receivedAt: 0,
  ...fields,
});
