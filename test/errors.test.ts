import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  ArgumentError,
  CsvSocketError,
  ErrorCode,
  errorFromWire,
  isCsvSocketError,
  LimitError,
  NotFoundError,
  QueryError,
  toCsvSocketError,
} from '../src/errors.js';

describe('errors', () => {
  describe('LimitError', () => {
    it('builds its message and code from the limit and the facts', () => {
      const err = new LimitError('maxUploadBytes', { size: 3000, limit: 1000 });
      assert.equal(err.code, ErrorCode.LIMIT_UPLOAD_SIZE);
      assert.equal(err.name, 'LimitError');
      assert.equal(err.limit, 1000);
      assert.equal(err.limitName, 'maxUploadBytes');
      assert.equal(err.message, 'the upload has 3000 bytes, more than maxUploadBytes (1000); raise the limit');
    });

    it('names the line and takes a hint', () => {
      const err = new LimitError('maxColumns', { size: 9, limit: 4, line: 1, hint: 'check the delimiter' });
      assert.equal(err.code, ErrorCode.LIMIT_COLUMNS);
      assert.equal(err.line, 1);
      assert.equal(err.message, 'line 1: the header has 9 columns, more than maxColumns (4); check the delimiter');
      assert.deepEqual(err.context(), { line: 1, limit: 4 });
    });

    it('says the limit was passed when the size is not known', () => {
      const err = new LimitError('maxQueryRows', { limit: 10 });
      assert.equal(err.code, ErrorCode.LIMIT_ROWS);
      assert.match(err.message, /^the result is past maxQueryRows \(10\)/);
    });
  });

  describe('errorFromWire', () => {
    it('rebuilds the class of each code family', () => {
      assert.ok(errorFromWire(ErrorCode.NOT_FOUND, 'x') instanceof NotFoundError);
      assert.ok(errorFromWire(ErrorCode.BAD_ARGUMENT, 'x') instanceof ArgumentError);
      assert.ok(errorFromWire(ErrorCode.QUERY_INVALID, 'x') instanceof QueryError);
      const limit = errorFromWire(ErrorCode.LIMIT_ROWS, 'too many', { limit: 5 });
      assert.ok(limit instanceof LimitError);
      assert.equal(limit.message, 'too many');
      assert.equal(limit.limit, 5);
    });

    it('turns an unknown code into CSVS_INTERNAL', () => {
      const err = errorFromWire('CSVS_NO_SUCH', 'x');
      assert.equal(err.code, ErrorCode.INTERNAL);
      assert.equal(err.constructor, CsvSocketError);
    });
  });

  describe('isCsvSocketError', () => {
    it('accepts an error of another copy of the package by its code', () => {
      const foreign = Object.assign(new Error('m'), { code: 'CSVS_AUTH_REQUIRED' });
      assert.equal(isCsvSocketError(foreign), true);
      assert.equal(isCsvSocketError(foreign, ErrorCode.AUTH_REQUIRED), true);
      assert.equal(isCsvSocketError(foreign, ErrorCode.TIMEOUT), false);
      assert.equal(isCsvSocketError(Object.assign(new Error('m'), { code: 'ENOENT' })), false);
    });
  });

  describe('toCsvSocketError', () => {
    it('wraps anything thrown, keeping the cause', () => {
      const cause = new RangeError('boom');
      const err = toCsvSocketError(cause);
      assert.equal(err.code, ErrorCode.INTERNAL);
      assert.equal(err.message, 'boom');
      assert.equal(err.cause, cause);
    });
  });
});
