#!/usr/bin/env python3
"""Reads a run folder's TensorBoard event files independently of the runtime that wrote them.

The TFRecord framing and its masked CRC-32C are checked here with this file's own code, and every record
is parsed by Google's protobuf runtime (Debian's python3-protobuf) against message descriptors built below
from the field numbers of tensorflow/tensorboard's event.proto, summary.proto and histogram.proto (written
out again here, not read from the runtime's copies). Prints one JSON object:

    {"files": {"<path relative to the folder>": [event, ...]}}

with each event as {"wall_time", "step", "what": "file_version" | "summary" | "session_log", ...}, image
bytes in base64. Exits 1 with one line on stderr for a torn or corrupt record or an unparsable event.
Usage: tensorboard_read.py RUN_DIR
"""
import base64
import json
import os
import struct
import sys

from google.protobuf import descriptor_pb2, descriptor_pool

try:
    from google.protobuf.message_factory import GetMessageClass
except ImportError:  # protobuf < 4.21
    from google.protobuf import message_factory

    def GetMessageClass(descriptor):
        return message_factory.MessageFactory(descriptor.file.pool).GetPrototype(descriptor)


def _crc32c_table():
    table = []
    for n in range(256):
        c = n
        for _ in range(8):
            c = (c >> 1) ^ 0x82F63B78 if c & 1 else c >> 1
        table.append(c)
    return table


CRC_TABLE = _crc32c_table()


def masked_crc32c(data):
    crc = 0xFFFFFFFF
    for b in data:
        crc = CRC_TABLE[(crc ^ b) & 0xFF] ^ (crc >> 8)
    crc ^= 0xFFFFFFFF
    return (((crc >> 15) | (crc << 17)) + 0xA282EAD8) & 0xFFFFFFFF


F = descriptor_pb2.FieldDescriptorProto


def add_field(msg, name, number, type_, type_name=None, repeated=False, oneof=None):
    f = msg.field.add(name=name, number=number, type=type_, label=F.LABEL_REPEATED if repeated else F.LABEL_OPTIONAL)
    if type_name:
        f.type_name = type_name
    if oneof is not None:
        f.oneof_index = oneof


def event_class():
    fd = descriptor_pb2.FileDescriptorProto(name='tb_check.proto', package='tbcheck', syntax='proto3')
    h = fd.message_type.add(name='HistogramProto')
    for i, n in enumerate(['min', 'max', 'num', 'sum', 'sum_squares'], 1):
        add_field(h, n, i, F.TYPE_DOUBLE)
    add_field(h, 'bucket_limit', 6, F.TYPE_DOUBLE, repeated=True)
    add_field(h, 'bucket', 7, F.TYPE_DOUBLE, repeated=True)

    s = fd.message_type.add(name='Summary')
    img = s.nested_type.add(name='Image')
    add_field(img, 'height', 1, F.TYPE_INT32)
    add_field(img, 'width', 2, F.TYPE_INT32)
    add_field(img, 'colorspace', 3, F.TYPE_INT32)
    add_field(img, 'encoded_image_string', 4, F.TYPE_BYTES)
    v = s.nested_type.add(name='Value')
    v.oneof_decl.add(name='value')
    add_field(v, 'tag', 1, F.TYPE_STRING)
    add_field(v, 'simple_value', 2, F.TYPE_FLOAT, oneof=0)
    add_field(v, 'image', 4, F.TYPE_MESSAGE, '.tbcheck.Summary.Image', oneof=0)
    add_field(v, 'histo', 5, F.TYPE_MESSAGE, '.tbcheck.HistogramProto', oneof=0)
    add_field(s, 'value', 1, F.TYPE_MESSAGE, '.tbcheck.Summary.Value', repeated=True)

    sl = fd.message_type.add(name='SessionLog')
    st = sl.enum_type.add(name='SessionStatus')
    for i, n in enumerate(['STATUS_UNSPECIFIED', 'START', 'STOP', 'CHECKPOINT']):
        st.value.add(name=n, number=i)
    add_field(sl, 'status', 1, F.TYPE_ENUM, '.tbcheck.SessionLog.SessionStatus')
    add_field(sl, 'checkpoint_path', 2, F.TYPE_STRING)
    add_field(sl, 'msg', 3, F.TYPE_STRING)

    e = fd.message_type.add(name='Event')
    e.oneof_decl.add(name='what')
    add_field(e, 'wall_time', 1, F.TYPE_DOUBLE)
    add_field(e, 'step', 2, F.TYPE_INT64)
    add_field(e, 'file_version', 3, F.TYPE_STRING, oneof=0)
    add_field(e, 'summary', 5, F.TYPE_MESSAGE, '.tbcheck.Summary', oneof=0)
    add_field(e, 'session_log', 7, F.TYPE_MESSAGE, '.tbcheck.SessionLog', oneof=0)

    pool = descriptor_pool.DescriptorPool()
    pool.Add(fd)
    return GetMessageClass(pool.FindMessageTypeByName('tbcheck.Event'))


def records(path):
    with open(path, 'rb') as f:
        buf = f.read()
    off = 0
    while off < len(buf):
        if len(buf) - off < 12:
            raise ValueError(f'{path}: torn record header at byte {off}')
        (length,) = struct.unpack_from('<Q', buf, off)
        (length_crc,) = struct.unpack_from('<I', buf, off + 8)
        if length_crc != masked_crc32c(buf[off:off + 8]):
            raise ValueError(f'{path}: length CRC mismatch at byte {off}')
        if off + 16 + length > len(buf):
            raise ValueError(f'{path}: torn record at byte {off}')
        data = buf[off + 12:off + 12 + length]
        (data_crc,) = struct.unpack_from('<I', buf, off + 12 + length)
        if data_crc != masked_crc32c(data):
            raise ValueError(f'{path}: data CRC mismatch at byte {off}')
        yield data
        off += 16 + length


def value_json(v):
    out = {'tag': v.tag}
    kind = v.WhichOneof('value')
    if kind == 'simple_value':
        out['simple_value'] = v.simple_value
    elif kind == 'image':
        out['image'] = {'height': v.image.height, 'width': v.image.width, 'colorspace': v.image.colorspace,
                        'png_base64': base64.b64encode(v.image.encoded_image_string).decode('ascii')}
    elif kind == 'histo':
        h = v.histo
        out['histo'] = {'min': h.min, 'max': h.max, 'num': h.num, 'sum': h.sum, 'sum_squares': h.sum_squares,
                        'bucket_limit': list(h.bucket_limit), 'bucket': list(h.bucket)}
    return out


def event_json(ev):
    out = {'wall_time': ev.wall_time, 'step': ev.step, 'what': ev.WhichOneof('what')}
    if out['what'] == 'file_version':
        out['file_version'] = ev.file_version
    elif out['what'] == 'session_log':
        out['session_status'] = ev.session_log.status
    elif out['what'] == 'summary':
        out['values'] = [value_json(v) for v in ev.summary.value]
    return out


def main():
    run_dir = sys.argv[1]
    Event = event_class()
    files = {}
    for folder, _, names in sorted(os.walk(run_dir)):
        for name in sorted(names):
            if not name.startswith('events.out.tfevents.'):
                continue
            path = os.path.join(folder, name)
            events = []
            for data in records(path):
                ev = Event()
                ev.ParseFromString(data)
                events.append(event_json(ev))
            files[os.path.relpath(path, run_dir)] = events
    json.dump({'files': files}, sys.stdout)


if __name__ == '__main__':
    try:
        main()
    except Exception as err:  # one line, for the test's message
        print(f'tensorboard_read.py: {err}', file=sys.stderr)
        sys.exit(1)
