"""The SDK driven by a fake chair over a real loopback gRPC stream: hello, refusals,
replay, batching, tokens, health, reflection and registration with a (fake) chair."""

import asyncio
import unittest

import grpc
from google.protobuf import descriptor_pb2
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection_pb2 as rpb

import helpers as h
from plenary_delegation import start_server
from plenary_delegation.proto import delegation_pb2 as pb
from plenary_delegation.proto import secretariat_pb2 as spb
from plenary_delegation.proto import secretariat_pb2_grpc as spb_grpc
from plenary_delegation.registration import RegistrationError, keep_registered

INVALID_ARGUMENT, NOT_FOUND, ALREADY_EXISTS, PERMISSION_DENIED = 3, 5, 6, 7
RESOURCE_EXHAUSTED, FAILED_PRECONDITION, OUT_OF_RANGE = 8, 9, 11


class ServerCase(unittest.IsolatedAsyncioTestCase):
    token = None
    states = None
    max_seats = 10_000

    async def asyncSetUp(self):
        h.Recorder.reset()
        self.server = await start_server(
            h.Recorder, "127.0.0.1:0", token=self.token, states=self.states, max_seats=self.max_seats
        )
        self.streams = []

    async def asyncTearDown(self):
        for s in self.streams:
            await s.close()
        await self.server.stop(grace=None)

    def chair(self, token=None):
        s = h.ChairStream(self.server.address, token=token)
        self.streams.append(s)
        return s


class HelloTest(ServerCase):
    async def test_version_2_is_chosen(self):
        hello = await self.chair().hello(versions=[1, 2, 3])
        self.assertEqual(hello.version, 2)
        self.assertTrue(hello.agent.startswith("plenary-delegation-python/"))
        self.assertLessEqual(len(hello.agent.encode()), 128)

    async def test_no_common_version_names_both_lists(self):
        c = self.chair()
        await c.call.write(pb.ChairFrame(hello=pb.ChairHello(versions=[3])))
        code, details = await c.status()
        self.assertEqual(code, grpc.StatusCode.FAILED_PRECONDITION)
        self.assertIn("chair offers [3]; this delegation speaks [2]", details)

    async def test_the_first_frame_must_be_hello(self):
        c = self.chair()
        await c.call.write(pb.ChairFrame(batch=pb.Batch(messages=[h.open_()])))
        code, details = await c.status()
        self.assertEqual(code, grpc.StatusCode.FAILED_PRECONDITION)
        self.assertIn("hello", details)

    async def test_a_second_hello_or_an_empty_frame_ends_the_stream(self):
        for frame in (pb.ChairFrame(hello=pb.ChairHello(versions=[2])), pb.ChairFrame()):
            with self.subTest(frame=frame.WhichOneof("frame")):
                c = self.chair()
                await c.hello()
                await c.call.write(frame)
                code, details = await c.status()
                self.assertEqual(code, grpc.StatusCode.FAILED_PRECONDITION)
                self.assertIn("exactly one hello", details)

    async def test_an_oversized_batch_is_resource_exhausted(self):
        c = self.chair()
        await c.hello()
        tiny = pb.Envelope(match_id="m", state="S", seq=2, close=pb.CloseSeat())
        await c.call.write(pb.ChairFrame(batch=pb.Batch(messages=[tiny] * 65_537)))
        code, details = await c.status()
        self.assertEqual(code, grpc.StatusCode.RESOURCE_EXHAUSTED, details)

    async def test_a_frame_over_16_mib_is_resource_exhausted(self):
        c = self.chair()
        await c.hello()
        big = h.brief()
        big.items[0].title = "x" * (16 * 1024 * 1024)
        await c.call.write(pb.ChairFrame(batch=pb.Batch(messages=[h.open_(b=big)])))
        code, _ = await c.status()
        self.assertEqual(code, grpc.StatusCode.RESOURCE_EXHAUSTED)

    async def test_an_empty_batch_gets_no_answer_and_the_stream_goes_on(self):
        c = self.chair()
        await c.hello()
        self.assertEqual(await c.send([]), [])
        (a,) = await c.send([h.open_()])
        self.assertEqual(a.opened.strategy, "recorder")
        self.assertEqual(len(c.frames), 1)

    async def test_the_stream_ends_ok_when_the_chair_half_closes(self):
        c = self.chair()
        await c.hello()
        await c.send([h.open_()])
        await c.call.done_writing()
        code, _ = await c.status()
        self.assertEqual(code, grpc.StatusCode.OK)


class PlayTest(ServerCase):
    states = ["AUT", "FIN"] + [f"S{i:02}" for i in range(57)]

    async def test_a_batch_for_many_seats_is_answered_in_one_frame(self):
        c = self.chair()
        await c.hello()
        seats = [f"S{i:02}" for i in range(57)]
        opened = await c.send([h.open_(state=s) for s in seats])
        self.assertEqual({a.state for a in opened}, set(seats))
        frames = len(c.frames)
        answers = await c.send([h.position(2, item=1, state=s) for s in seats])
        self.assertEqual(len(c.frames) - frames, 1)
        self.assertEqual([a.state for a in answers], seats)
        self.assertTrue(all(a.position.position == 20.0 for a in answers))

    async def test_every_refusal_of_the_table_over_the_stream(self):
        c = self.chair()
        await c.hello()
        await c.send([h.open_(), h.position(2)])
        no_ctx = h.vote(3)
        no_ctx.vote.ClearField("context")
        bad_brief = h.brief(match_id="m-2")
        bad_brief.ClearField("rules")
        cases = [
            (pb.Envelope(match_id=h.MATCH, state=h.STATE, seq=3), INVALID_ARGUMENT),
            (no_ctx, INVALID_ARGUMENT),
            (h.open_(match_id="m-2", b=bad_brief), INVALID_ARGUMENT),
            (h.vote(3, match_id="never-opened"), NOT_FOUND),
            (h.open_(b=h.brief(seed=99)), ALREADY_EXISTS),
            (h.open_(state="USA", match_id="m-3"), PERMISSION_DENIED),
            (h.position(4, phase=pb.PHASE_SILENCE), FAILED_PRECONDITION),
            (h.position(2), OUT_OF_RANGE),
        ]
        for env, want in cases:
            with self.subTest(env=env.WhichOneof("body"), want=want):
                (a,) = await c.send([env])
                self.assertEqual(h.code(a), want, a)
                self.assertEqual((a.match_id, a.state, a.seq), (env.match_id, env.state, env.seq))
        # The stream and the seat go on after refusals.
        (a,) = await c.send([h.vote(5, phase=pb.PHASE_SILENCE)])
        self.assertEqual(a.WhichOneof("body"), "vote")

    async def test_a_new_stream_continues_the_seats_and_replays_from_cache(self):
        c1 = self.chair()
        await c1.hello()
        await c1.send([h.open_(), h.position(2)])
        (v,) = await c1.send([h.vote(3, proposal=10.0)])
        await c1.close()
        asked = len(h.Recorder.log)
        # The chair restarted: it replays the open and the unanswered question.
        c2 = self.chair()
        await c2.hello()
        opened, again = await c2.send([h.open_(), h.vote(3, proposal=10.0)])
        self.assertEqual(opened.opened.strategy, "recorder")
        self.assertEqual(again.SerializeToString(), v.SerializeToString())
        self.assertEqual(len(h.Recorder.log), asked)
        self.assertEqual(h.Recorder.opened, 1)
        (s,) = await c2.send([h.outcome(4), h.session_end(5)])
        self.assertEqual(s.stance.stance, pb.STANCE_STAY)


class SeatLimitTest(ServerCase):
    max_seats = 1

    async def test_open_beyond_the_limit(self):
        c = self.chair()
        await c.hello()
        a, b = await c.send([h.open_(match_id="x"), h.open_(match_id="y")])
        self.assertEqual((a.WhichOneof("body"), h.code(b)), ("opened", RESOURCE_EXHAUSTED))


class TokenTest(ServerCase):
    token = "s3cret-token"

    async def test_play_without_or_with_a_wrong_token_is_unauthenticated(self):
        for token in (None, "wrong", "s3cret-token-"):
            with self.subTest(token=token):
                c = self.chair(token=token)
                # No write: the endpoint ends the stream before reading any frame (a write
                # racing that end may surface as INTERNAL in the Python client).
                code, _ = await c.status()
                self.assertEqual(code, grpc.StatusCode.UNAUTHENTICATED)

    async def test_the_right_token_plays(self):
        c = self.chair(token=self.token)
        await c.hello()
        (a,) = await c.send([h.open_()])
        self.assertEqual(a.opened.strategy, "recorder")

    async def test_health_and_reflection_stay_open(self):
        async with grpc.aio.insecure_channel(self.server.address) as ch:
            r = await health_pb2_grpc.HealthStub(ch).Check(health_pb2.HealthCheckRequest(service=""))
            self.assertEqual(r.status, health_pb2.HealthCheckResponse.SERVING)
            names = await list_services(ch, "grpc.reflection.v1alpha.ServerReflection")
            self.assertIn("plenary.v2.Delegation", names)


async def reflect(ch, service, request):
    call = ch.stream_stream(
        f"/{service}/ServerReflectionInfo",
        request_serializer=rpb.ServerReflectionRequest.SerializeToString,
        response_deserializer=rpb.ServerReflectionResponse.FromString,
    )
    stream = call()
    await stream.write(request)
    response = await stream.read()
    await stream.done_writing()
    return response


async def list_services(ch, service):
    r = await reflect(ch, service, rpb.ServerReflectionRequest(list_services=""))
    return [s.name for s in r.list_services_response.service]


class HealthReflectionTest(ServerCase):
    async def test_health_serves_the_whole_server_and_the_delegation(self):
        async with grpc.aio.insecure_channel(self.server.address) as ch:
            stub = health_pb2_grpc.HealthStub(ch)
            for service in ("", "plenary.v2.Delegation"):
                r = await stub.Check(health_pb2.HealthCheckRequest(service=service))
                self.assertEqual(r.status, health_pb2.HealthCheckResponse.SERVING, service)
            with self.assertRaises(grpc.aio.AioRpcError) as e:
                await stub.Check(health_pb2.HealthCheckRequest(service="no.such.Service"))
            self.assertEqual(e.exception.code(), grpc.StatusCode.NOT_FOUND)

    async def test_reflection_v1_and_v1alpha(self):
        async with grpc.aio.insecure_channel(self.server.address) as ch:
            for service in ("grpc.reflection.v1.ServerReflection", "grpc.reflection.v1alpha.ServerReflection"):
                with self.subTest(service=service):
                    names = await list_services(ch, service)
                    self.assertEqual(
                        set(names),
                        {
                            "plenary.v2.Delegation",
                            "grpc.health.v1.Health",
                            "grpc.reflection.v1.ServerReflection",
                            "grpc.reflection.v1alpha.ServerReflection",
                        },
                    )
                    for symbol, file in (
                        ("plenary.v2.Delegation", "plenary/v2/delegation.proto"),
                        ("plenary.v2.Envelope", "plenary/v2/delegation.proto"),
                        ("grpc.reflection.v1.ServerReflection", "grpc/reflection/v1/reflection.proto"),
                    ):
                        r = await reflect(ch, service, rpb.ServerReflectionRequest(file_containing_symbol=symbol))
                        files = [
                            descriptor_pb2.FileDescriptorProto.FromString(b)
                            for b in r.file_descriptor_response.file_descriptor_proto
                        ]
                        self.assertIn(file, [f.name for f in files], symbol)
                    r = await reflect(ch, service, rpb.ServerReflectionRequest(file_containing_symbol="no.Such"))
                    self.assertEqual(r.error_response.error_code, grpc.StatusCode.NOT_FOUND.value[0])


class FakeSecretariat(spb_grpc.SecretariatServicer):
    """Registers delegations; `end` ends every open registration stream."""

    def __init__(self, refuse=None):
        self.requests = []
        self.generation = 0
        self.refuse = refuse
        self.ending = asyncio.Event()
        self.replace = asyncio.Event()

    async def Register(self, request, context):
        if self.refuse is not None:
            await context.abort(self.refuse, "bad token")
        self.requests.append(request)
        self.generation += 1
        yield spb.RegistrationEvent(registered=spb.Registered(generation=self.generation, chair_id="fake"))
        ending = asyncio.ensure_future(self.ending.wait())
        replacing = asyncio.ensure_future(self.replace.wait())
        done, pending = await asyncio.wait({ending, replacing}, return_when=asyncio.FIRST_COMPLETED)
        for t in pending:
            t.cancel()
        if replacing in done:
            yield spb.RegistrationEvent(
                replaced=spb.Replaced(generation=self.generation + 1, endpoint="http://other:1")
            )


class RegistrationTest(unittest.IsolatedAsyncioTestCase):
    async def chair(self, secretariat):
        server = grpc.aio.server()
        spb_grpc.add_SecretariatServicer_to_server(secretariat, server)
        port = server.add_insecure_port("127.0.0.1:0")
        await server.start()
        self.addAsyncCleanup(server.stop, None)
        return f"http://127.0.0.1:{port}"

    async def wait_for(self, predicate, timeout=30.0):
        async def poll():
            while not predicate():
                await asyncio.sleep(0.01)

        await asyncio.wait_for(poll(), timeout)

    async def test_registers_again_when_the_chair_ends_the_stream_and_stops_when_replaced(self):
        fake = FakeSecretariat()
        url = await self.chair(fake)
        registered = asyncio.Event()
        task = asyncio.ensure_future(
            keep_registered(url, "AUT", "http://127.0.0.1:9", "tok", registered, backoff_start=0.01)
        )
        await asyncio.wait_for(registered.wait(), 30)
        self.assertEqual(
            [(r.state, r.endpoint, r.token) for r in fake.requests], [("AUT", "http://127.0.0.1:9", "tok")]
        )
        fake.ending.set()  # the chair stops: its streams end
        await self.wait_for(lambda: len(fake.requests) >= 2)
        fake.ending.clear()
        await self.wait_for(lambda: fake.generation >= 2)
        with self.assertLogs("plenary_delegation") as logs:
            fake.replace.set()
            await asyncio.wait_for(task, 30)  # returns: no longer registering
        self.assertTrue(any("Replaced" in line for line in logs.output), logs.output)

    async def test_a_refused_first_registration_is_fatal(self):
        url = await self.chair(FakeSecretariat(refuse=grpc.StatusCode.PERMISSION_DENIED))
        with self.assertRaises(RegistrationError) as e:
            await asyncio.wait_for(keep_registered(url, "AUT", "http://127.0.0.1:9", "bad"), 30)
        self.assertIn("PERMISSION_DENIED", str(e.exception))


if __name__ == "__main__":
    unittest.main()
