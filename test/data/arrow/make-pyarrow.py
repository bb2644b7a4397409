"""Arrow IPC written by another implementation (pyarrow), for the verifier's
no-false-refusal test (test/arrow/verify.test.ts): every type flechette reads,
nested, dictionary-encoded (with deltas), views, unions, run-end encoding,
metadata, several batches, stream and file format, V4 and V5 metadata.

Run with pyarrow (not needed by the tests, which read the files written here):
    python3 make-pyarrow.py   # writes pyarrow/*.arrow beside this script
"""
import datetime, decimal, os, pyarrow as pa, pyarrow.ipc as ipc

here = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'pyarrow')
os.makedirs(here, exist_ok=True)
N = 7

def arr(values, type):
    return pa.array(values, type)

columns = {
    'int8': arr([1, None, -3, 4, 5, 6, 127], pa.int8()),
    'uint64': arr([1, 2, None, 2**53 - 1, 5, 6, 7], pa.uint64()),  # (past 2^53 flechette refuses to read it as a number)
    'float16': arr([1.5, None, 2, 3, 4, 5, 6], pa.float64()).cast(pa.float16()),
    'float32': arr([1.5, None, 2, 3, 4, 5, 6], pa.float32()),
    'float64': arr([1.5, None, float('nan'), -0.0, 4, 5, 6], pa.float64()),
    'bool': arr([True, None, False, True, True, False, None], pa.bool_()),
    'utf8': arr(['a', None, '\ufeffb', 'é', '', '日本', 'x'], pa.utf8()),
    'large_utf8': arr(['a', None, 'b', 'c', '', 'd', 'e'], pa.large_utf8()),
    'binary': arr([b'a', None, b'\x00', b'', b'c', b'd', b'e'], pa.binary()),
    'large_binary': arr([b'a', None, b'\x00', b'', b'c', b'd', b'e'], pa.large_binary()),
    'fixed_binary': arr([b'ab', None, b'cd', b'ef', b'gh', b'ij', b'kl'], pa.binary(2)),
    'string_view': arr(['short', None, 'a string longer than twelve bytes', '', 'x', 'y', 'z'], pa.string_view()),
    'binary_view': arr([b'short', None, b'a binary longer than twelve bytes', b'', b'x', b'y', b'z'], pa.binary_view()),
    'date32': arr([0, None, -1, 19000, 1, 2, 3], pa.int32()).cast(pa.date32()),
    'date64': arr([0, None, 86400000, 2, 3, 4, 5], pa.int64()).cast(pa.date64()),
    'time32': arr([0, None, 1000, 2, 3, 4, 5], pa.int32()).cast(pa.time32('ms')),
    'time64': arr([0, None, 1000, 2, 3, 4, 5], pa.int64()).cast(pa.time64('us')),
    'timestamp_tz': arr([0, None, 10**12, 2, 3, 4, 5], pa.int64()).cast(pa.timestamp('ms', tz='Europe/Paris')),
    'timestamp_us': arr([0, None, 10**15, 2, 3, 4, 5], pa.int64()).cast(pa.timestamp('us')),
    # before 1970, finer than a millisecond: -1 µs is 1969-12-31T23:59:59.999999
    'timestamp_before_1970': arr([-1, None, -1001, -86_400_000_000_001, 1, 999, 1000], pa.int64()).cast(pa.timestamp('us')),
    'timestamp_ns_before_1970': arr([-1, None, -1_000_001, 1, 0, 5, 7], pa.int64()).cast(pa.timestamp('ns', tz='UTC')),
    'duration': arr([0, None, 1000, 2, 3, 4, 5], pa.int64()).cast(pa.duration('s')),
    'interval': arr([pa.scalar((1, 2, 3), pa.month_day_nano_interval()).as_py(), None, (0, 0, 0), (1, 1, 1), (2, 2, 2), (3, 3, 3), (4, 4, 4)], pa.month_day_nano_interval()),
    'decimal128': arr([decimal.Decimal('1.25'), None, decimal.Decimal('-3.50'), 0, 1, 2, 3], pa.decimal128(10, 2)),
    'decimal256': arr([decimal.Decimal('1.25'), None, decimal.Decimal('-3.50'), 0, 1, 2, 3], pa.decimal256(40, 2)),
    'list': arr([[1, 2], None, [], [3], [4, 5, 6], [7], [8]], pa.list_(pa.int32())),
    'large_list': arr([[1, 2], None, [], [3], [4, 5, 6], [7], [8]], pa.large_list(pa.int32())),
    'list_view': arr([[1, 2], None, [], [3], [4, 5, 6], [7], [8]], pa.list_view(pa.int32())),
    'fixed_list': arr([[1, 2], None, [3, 4], [5, 6], [7, 8], [9, 0], [1, 1]], pa.list_(pa.int32(), 2)),
    'struct': arr([{'a': 1, 'b': 'x'}, None, {'a': None, 'b': 'y'}, {'a': 3, 'b': None}, {'a': 4, 'b': 'z'}, {'a': 5, 'b': ''}, {'a': 6, 'b': 'w'}], pa.struct([('a', pa.int64()), ('b', pa.utf8())])),
    'map': arr([[('k', 1)], None, [], [('a', 2), ('b', 3)], [('c', 4)], [('d', 5)], [('e', 6)]], pa.map_(pa.utf8(), pa.int32())),
    'nested': arr([[{'p': [1.5]}], None, [], [{'p': None}], [{'p': [2.5, 3.5]}], [], [{'p': []}]], pa.list_(pa.struct([('p', pa.list_(pa.float64()))]))),
    'dict_utf8': arr(['a', 'b', None, 'a', '\ufeffc', 'b', 'a'], pa.utf8()).dictionary_encode(),
    'dict_int': pa.DictionaryArray.from_arrays(arr([0, 1, None, 1, 0, 1, 0], pa.int8()), arr([10, 20], pa.int64())),
    # pandas' missing categories: code -1 under a null
    'dict_null_code': pa.DictionaryArray.from_arrays(
        pa.Array.from_buffers(pa.int8(), N, [pa.py_buffer(bytes([0b1110101])), pa.py_buffer(bytes([0, 255, 1, 255, 0, 1, 0]))], null_count=2),
        arr(['a', 'b'], pa.utf8())),
    'sparse_union': pa.UnionArray.from_sparse(arr([0, 1, 0, 1, 0, 1, 0], pa.int8()), [arr([1, 2, 3, 4, 5, 6, 7], pa.int32()), arr(['a', 'b', 'c', 'd', 'e', 'f', 'g'], pa.utf8())]),
    'dense_union': pa.UnionArray.from_dense(arr([0, 1, 0, 1, 0, 1, 0], pa.int8()), arr([0, 0, 1, 1, 2, 2, 3], pa.int32()), [arr([1, 2, 3, 4], pa.int32()), arr(['a', 'b', 'c'], pa.utf8())]),
    'run_end': pa.RunEndEncodedArray.from_arrays(arr([2, 5, 7], pa.int32()), arr(['x', None, 'z'], pa.utf8())),
    'null': pa.nulls(N),
}

def write(name, table, file=False, batches=None, **options):
    sink = pa.BufferOutputStream()
    opts = ipc.IpcWriteOptions(**options)
    writer = (ipc.new_file if file else ipc.new_stream)(sink, table.schema, options=opts)
    for b in batches if batches is not None else [table]:
        writer.write(b)
    writer.close()
    with open(os.path.join(here, name + '.arrow'), 'wb') as f:
        f.write(sink.getvalue().to_pybytes())

for name, column in columns.items():
    write(name, pa.table({name: column}))

everything = pa.table(columns)
write('everything', everything)
write('everything-file', everything, file=True)
# (not the unions, which V4 gives a validity buffer pyarrow does not write, nor run-end
# encoding, which is newer than V4: flechette reads both as V4 lays them out)
write('everything-v4', everything.drop_columns(['sparse_union', 'dense_union', 'run_end']), metadata_version=ipc.MetadataVersion.V4)
write('metadata', everything.replace_schema_metadata({'source': 'pyarrow', 'note': 'é\ufeff'}).select([0, 6, 29]))
field_meta = pa.schema([pa.field('x', pa.int32(), metadata={'unit': 'cm'})], metadata={'k': 'v'})
write('field-metadata', pa.table({'x': arr([1, 2], pa.int32())}, schema=field_meta))
batches = everything.to_batches(max_chunksize=3)
write('batches', everything, batches=batches)
write('batches-file', everything, file=True, batches=batches)
# a dictionary that grows: delta batches (stream) and replacements
d1 = pa.table({'d': arr(['a', 'b'], pa.utf8()).dictionary_encode()})
d2 = pa.table({'d': pa.DictionaryArray.from_arrays(arr([0, 1, 2], pa.int32()), arr(['a', 'b', 'c'], pa.utf8()))})
write('dict-delta', d1, batches=d1.to_batches() + d2.to_batches(), emit_dictionary_deltas=True)
write('dict-replace', d1, batches=d1.to_batches() + d2.to_batches())
# dictionaries as pandas and chunked writers send them, with the values pyarrow reads
# (expected.json): a replacement dictionary between batches, a null in a first batch whose
# length is not a multiple of 8, unsafe names (re-encoded under safe ones)
expected = {}
def write_expected(name, table, batches, **options):
    write(name, table, batches=batches, **options)
    expected[name + '.arrow'] = [list(row.values()) for b in batches for row in b.to_pylist()]
r1 = pa.record_batch({'cat': pa.DictionaryArray.from_arrays(arr([0, 1, 1], pa.int8()), arr(['a', 'b'], pa.utf8())), 'n': arr([1, 2, 3], pa.int32())})
r2 = pa.record_batch({'cat': pa.DictionaryArray.from_arrays(arr([2, 3, 0], pa.int8()), arr(['x', 'y', 'z', 'w'], pa.utf8())), 'n': arr([4, 5, 6], pa.int32())})
write_expected('dict-swap', pa.Table.from_batches([r1]), [r1, r2])
n1 = pa.record_batch({'cat': arr(['a', None, 'b'], pa.utf8()).dictionary_encode(), 'n': arr([1, 2, 3], pa.int32())})
n2 = pa.record_batch({'cat': pa.DictionaryArray.from_arrays(arr([0, 2, 3, 4, 5], pa.int32()), arr(['a', 'b', 'c', 'd', 'e', 'f'], pa.utf8())), 'n': arr([4, 5, 6, 7, 8], pa.int32())})
write_expected('dict-null-chunks', pa.Table.from_batches([n1]), [n1, n2], emit_dictionary_deltas=False)
u1 = pa.record_batch([pa.DictionaryArray.from_arrays(arr([0, 1], pa.int8()), arr(['a', 'b'], pa.utf8())), arr([1, 2], pa.int32())], names=['__proto__', ''])
u2 = pa.record_batch([pa.DictionaryArray.from_arrays(arr([2, 0], pa.int8()), arr(['a', 'b', 'c'], pa.utf8())), arr([3, 4], pa.int32())], names=['__proto__', ''])
write_expected('dict-unsafe-names', pa.Table.from_batches([u1]), [u1, u2], emit_dictionary_deltas=True)
import json
with open(os.path.join(here, 'expected.json'), 'w') as f:
    json.dump(expected, f, indent=1, ensure_ascii=False)

write('empty', pa.table({'a': arr([], pa.int32()), 'b': arr([], pa.utf8())}))
write('no-columns', pa.table({}))
write('compressed-lz4', everything.select([0, 4, 6]), compression='lz4')
write('compressed-zstd', everything.select([0, 4, 6]), compression='zstd', file=True)
deep = arr([1, 2], pa.int32())
for _ in range(20):
    deep = pa.StructArray.from_arrays([deep], names=['s'])
write('deep-20', pa.table({'deep': deep}))
print(len(os.listdir(here)), 'files in', here)
