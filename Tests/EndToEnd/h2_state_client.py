"""A State API client at the HTTP/2 frame level (the `h2` package), behaving
like grpc-go's BDP estimator: one PING after every response it receives.
Used by WorkerTests/FnAPIConnectionTests to stand in for the Go SDK harness,
which cannot be installed here. grpcio (C-core) paces its pings and
grpc-swift's client counts the ACKs against itself, so neither shows it.

usage: h2_state_client.py HOST PORT INSTRUCTION_ID COUNT
Prints "answered N" and exits 0 when all COUNT requests got a response
without error; else prints what ended the stream and exits 1."""
import socket
import sys

import h2.config
import h2.connection
import h2.events
from apache_beam.portability.api import beam_fn_api_pb2


def request(index, instruction):
    """Every kind of state request a harness sends, in turn."""
    r = beam_fn_api_pb2.StateRequest(id=f"r{index}", instruction_id=instruction)
    key = f"key{index % 7}".encode()
    kind = index % 6
    if kind == 3:
        r.state_key.multimap_keys_user_state.transform_id = "pardo"
        r.state_key.multimap_keys_user_state.user_state_id = "map"
        r.state_key.multimap_keys_user_state.key = key
        r.get.SetInParent()
        return r
    if kind == 4:
        r.state_key.iterable_side_input.transform_id = "pardo"
        r.state_key.iterable_side_input.side_input_id = "side"
        r.state_key.iterable_side_input.window = b"\x00"
        r.get.SetInParent()
        return r
    r.state_key.bag_user_state.transform_id = "pardo"
    r.state_key.bag_user_state.user_state_id = "count"
    r.state_key.bag_user_state.key = key
    if kind == 0:
        r.get.SetInParent()
    elif kind == 1:
        r.clear.SetInParent()
    elif kind == 2:
        r.append.data = bytes([index % 256])
    else:
        r.get.continuation_token = b"page2"
    return r


def main(host, port, instruction, count):
    sock = socket.create_connection((host, port))
    conn = h2.connection.H2Connection(config=h2.config.H2Configuration(client_side=True, header_encoding="utf-8"))
    conn.initiate_connection()
    stream = conn.get_next_available_stream_id()
    conn.send_headers(stream, [
        (":method", "POST"), (":scheme", "http"), (":authority", f"{host}:{port}"),
        (":path", "/org.apache.beam.model.fn_execution.v1.BeamFnState/State"),
        ("content-type", "application/grpc"), ("te", "trailers"), ("worker_id", "go-1"),
    ])

    def send(index):
        body = request(index, instruction).SerializeToString()
        conn.send_data(stream, b"\x00" + len(body).to_bytes(4, "big") + body)

    send(0)
    sock.sendall(conn.data_to_send())
    answered, pings, pending = 0, 0, b""
    while answered < count:
        data = sock.recv(65536)
        if not data:
            print(f"connection closed after {answered} answers, {pings} pings")
            return 1
        for event in conn.receive_data(data):
            if isinstance(event, h2.events.ConnectionTerminated):
                print(f"GOAWAY {event.error_code!r} last_stream={event.last_stream_id} after {answered} answers, {pings} pings")
                return 1
            if isinstance(event, (h2.events.StreamReset, h2.events.StreamEnded)):
                print(f"stream ended ({type(event).__name__}) after {answered} answers")
                return 1
            if isinstance(event, h2.events.DataReceived):
                conn.acknowledge_received_data(event.flow_controlled_length, event.stream_id)
                pending += event.data
                while len(pending) >= 5 and len(pending) >= 5 + int.from_bytes(pending[1:5], "big"):
                    size = int.from_bytes(pending[1:5], "big")
                    response = beam_fn_api_pb2.StateResponse.FromString(pending[5:5 + size])
                    pending = pending[5 + size:]
                    if response.id != f"r{answered}" or response.error:
                        print(f"bad answer {answered}: id={response.id!r} error={response.error!r}")
                        return 1
                    answered += 1
                    if answered < count:
                        send(answered)
                # grpc-go's BDP estimator: a PING for the DATA just received.
                conn.ping(pings.to_bytes(8, "big"))
                pings += 1
        sock.sendall(conn.data_to_send())
    print(f"answered {answered}, {pings} pings")
    conn.end_stream(stream)
    sock.sendall(conn.data_to_send())
    sock.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4])))
