"""Server reflection as both `grpc.reflection.v1` and `grpc.reflection.v1alpha`.

grpcio-reflection (up to 1.85 at least) implements only v1alpha. The two versions are the
same protocol under two package names: identical messages with identical field numbers,
so their bytes on the wire are identical. This module therefore serves v1 with the
v1alpha implementation: the v1 method decodes and encodes with the v1alpha message
classes, and a v1 file descriptor, derived at start-up from the installed v1alpha one by
renaming its package, is added to the descriptor pool so that a client can also ask the
server to describe `grpc.reflection.v1.ServerReflection` itself.
"""

from __future__ import annotations

from typing import Iterable

import grpc
from google.protobuf import descriptor_pb2, descriptor_pool
from grpc_reflection.v1alpha import reflection as alpha_reflection
from grpc_reflection.v1alpha import reflection_pb2 as alpha
from grpc_reflection.v1alpha import reflection_pb2_grpc as alpha_grpc

V1_SERVICE = "grpc.reflection.v1.ServerReflection"
V1ALPHA_SERVICE = alpha_reflection.SERVICE_NAME
V1_FILE = "grpc/reflection/v1/reflection.proto"
_ALPHA_PREFIX = "." + alpha.DESCRIPTOR.package + "."
_V1_PREFIX = ".grpc.reflection.v1."


def _rename(type_name: str) -> str:
    if type_name.startswith(_ALPHA_PREFIX):
        return _V1_PREFIX + type_name[len(_ALPHA_PREFIX) :]
    return type_name


def _rename_message(m: descriptor_pb2.DescriptorProto) -> None:
    for f in m.field:
        if f.HasField("type_name"):  # proto2: assigning "" would mark it present
            f.type_name = _rename(f.type_name)
    for n in m.nested_type:
        _rename_message(n)


def register_v1_descriptor(pool: descriptor_pool.DescriptorPool | None = None) -> None:
    """Adds the v1 reflection file to `pool` (the default pool) unless it is there."""
    pool = pool or descriptor_pool.Default()
    try:
        pool.FindFileByName(V1_FILE)
        return
    except KeyError:
        pass
    fdp = descriptor_pb2.FileDescriptorProto()
    alpha.DESCRIPTOR.CopyToProto(fdp)
    fdp.name = V1_FILE
    fdp.package = "grpc.reflection.v1"
    fdp.ClearField("options")  # language options name the v1alpha package
    for m in fdp.message_type:
        _rename_message(m)
    for s in fdp.service:
        for method in s.method:
            method.input_type = _rename(method.input_type)
            method.output_type = _rename(method.output_type)
    pool.AddSerializedFile(fdp.SerializeToString())


def enable(server: grpc.aio.Server, service_names: Iterable[str]) -> list[str]:
    """Serves reflection v1 and v1alpha on `server` for `service_names` (plus the two
    reflection services); returns the full list of services it lists."""
    register_v1_descriptor()
    names = list(dict.fromkeys([*service_names, V1_SERVICE, V1ALPHA_SERVICE]))
    servicer = alpha_reflection.aio.ReflectionServicer(names)
    alpha_grpc.add_ServerReflectionServicer_to_server(servicer, server)
    v1 = grpc.method_handlers_generic_handler(
        V1_SERVICE,
        {
            "ServerReflectionInfo": grpc.stream_stream_rpc_method_handler(
                servicer.ServerReflectionInfo,
                request_deserializer=alpha.ServerReflectionRequest.FromString,
                response_serializer=alpha.ServerReflectionResponse.SerializeToString,
            )
        },
    )
    server.add_generic_rpc_handlers((v1,))
    return names
