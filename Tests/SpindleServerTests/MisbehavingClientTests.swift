import NIOCore
import SpindleModel
import SpindleTesting
import SpindleWire
import Testing

@testable import SpindleServer

/// Clients that stop halfway or stall: the server cuts them off, keeps serving everyone
/// else, and loses nothing it had accepted.
@Suite struct MisbehavingClientTests {
    @Test func aRequestCutOffMidBody_isNotStoredAndTheServerKeepsServing() async throws {
        try await withServer { server in
            let before = try await acceptedBatch(server, seed: 21)

            // A body of two resources whose first one is a complete message on its own:
            // were the cut-off body taken as complete, the first resource's spans would
            // decode and be stored.
            let first = Samples.realisticBatch(spans: 10, seed: 22)
            let second = Samples.realisticBatch(spans: 10, seed: 23)
            let whole = OTLPProtobuf.encodeExportRequest(SpanBatch(first.resourceSpans + second.resourceSpans))
            let firstAlone = OTLPProtobuf.encodeExportRequest(first)
            #expect(Array(whole.prefix(firstAlone.count)) == firstAlone)

            let connection = try await RawConnection.connect(port: server.ports.otlpHTTP)
            let head = requestHead("POST", "/v1/traces", headers: [
                ("Content-Type", "application/x-protobuf"), ("Content-Length", "\(whole.count)"),
            ])
            // Headers, the first resource, then the connection closes.
            _ = try await withUpperBound { try await connection.exchange(head + firstAlone, thenClose: true) }

            // Also the brief's shape: Content-Length 1000, 10 bytes, close.
            let short = try await RawConnection.connect(port: server.ports.otlpHTTP)
            let shortHead = requestHead("POST", "/v1/traces", headers: [
                ("Content-Type", "application/x-protobuf"), ("Content-Length", "1000"),
            ])
            _ = try await withUpperBound { try await short.exchange(shortHead + Array(repeating: 0x0A, count: 10), thenClose: true) }

            try await expectStillServing(server, holding: before)
            #expect(try await readBack(first, from: server.reader).isEmpty)
        }
    }

    @Test func aSlowClientThatNeverFinishes_isTimedOutWhileOthersAreServed() async throws {
        try await withServer({ $0.requestReadTimeout = .seconds(1) }) { server in
            let before = try await acceptedBatch(server, seed: 24)

            let slow = try await RawConnection.connect(port: server.ports.otlpHTTP)
            let head = requestHead("POST", "/v1/traces", headers: [
                ("Content-Type", "application/x-protobuf"), ("Content-Length", "1000"),
            ])
            // Ten bytes of a promised thousand, then silence: the server must close the
            // connection (`exchange` returns once it has).
            let cutOff = Task { try await withUpperBound { try await slow.exchange(head + Array(repeating: 0x0A, count: 10), thenClose: false) } }

            // Meanwhile, others are served.
            let during = try await acceptedBatch(server, seed: 25)

            let received = try await cutOff.value
            #expect(!String(decoding: received, as: UTF8.self).hasPrefix("HTTP/1.1 200"))

            try await expectStillServing(server, holding: before)
            #expect(try await readBack(during, from: server.reader) == canonicalSpans(during))
        }
    }

    /// A byte every 50 ms keeps the connection from ever being idle; the read deadline
    /// still cuts it off long before the promised thousand bytes have arrived.
    @Test func aClientThatTricklesItsBody_isCutOffAtTheReadTimeout() async throws {
        try await withServer({ $0.requestReadTimeout = .seconds(1) }) { server in
            let before = try await acceptedBatch(server, seed: 27)
            let connection = try await RawConnection.connect(port: server.ports.otlpHTTP)
            let head = requestHead("POST", "/v1/traces", headers: [
                ("Content-Type", "application/x-protobuf"), ("Content-Length", "1000"),
            ])
            let sentBox = ReceivedBytes()
            do {
                try await withUpperBound {
                    try await connection.channel.executeThenClose { inbound, outbound in
                    try await outbound.write(ByteBuffer(bytes: head))
                    return try await withThrowingTaskGroup(of: Int?.self) { group in
                        group.addTask {
                            // Ends when the server closes the connection.
                            do { for try await _ in inbound {} } catch {}
                            return nil
                        }
                        group.addTask {
                            var sent = 0
                            while sent < 1000 {
                                do { try await outbound.write(ByteBuffer(bytes: [0x0A])) } catch { break }
                                sent += 1
                                do { try await Task.sleep(for: .milliseconds(50)) } catch { break }
                            }
                            return sent
                        }
                        var sentBeforeClose: Int?
                        for try await result in group {
                            if result == nil {
                                // Closed by the server: stop trickling.
                                group.cancelAll()
                            } else {
                                sentBeforeClose = result
                            }
                        }
                        sentBox.append(Array(repeating: 0, count: sentBeforeClose ?? 0))
                    }
                    }
                }
            } catch ChannelError.ioOnClosedChannel {
                // The server closed first; closing our end again is not a failure.
            }
            let sent = sentBox.bytes.count
            #expect(sent < 1000)
            try await expectStillServing(server, holding: before)
        }
    }

    @Test func aClientThatNeverSendsItsHeaders_isDisconnected() async throws {
        try await withServer({ $0.requestReadTimeout = .seconds(1) }) { server in
            let before = try await acceptedBatch(server, seed: 26)
            let slow = try await RawConnection.connect(port: server.ports.zipkin)
            let received = try await withUpperBound { try await slow.exchange(Array("POST /api/v2/spans HTTP/1.1\r\nHost: x\r\n".utf8), thenClose: false) }
            #expect(received.isEmpty)
            try await expectStillServing(server, holding: before)
        }
    }
}

@Suite struct ExpectContinueTests {
    /// curl sends `Expect: 100-continue` for bodies over a kilobyte and waits for the
    /// interim response before sending the body.
    @Test func expect100Continue_isAnsweredAndTheRequestCompletes() async throws {
        try await withServer { server in
            let batch = Samples.realisticBatch(spans: 10, seed: 28)
            let body = OTLPProtobuf.encodeExportRequest(batch)
            let connection = try await RawConnection.connect(port: server.ports.otlpHTTP)
            let head = requestHead("POST", "/v1/traces", headers: [
                ("Content-Type", "application/x-protobuf"), ("Content-Length", "\(body.count)"),
                ("Expect", "100-continue"), ("Connection", "close"),
            ])
            let received = try await withUpperBound {
                try await connection.channel.executeThenClose { inbound, outbound in
                    try await outbound.write(ByteBuffer(bytes: head))
                    var text = ""
                    var iterator = inbound.makeAsyncIterator()
                    while !text.contains("\r\n\r\n"), let chunk = try await iterator.next() {
                        text += String(buffer: chunk)
                    }
                    #expect(text.hasPrefix("HTTP/1.1 100 Continue\r\n"))
                    try await outbound.write(ByteBuffer(bytes: body))
                    do {
                        while let chunk = try await iterator.next() { text += String(buffer: chunk) }
                    } catch {}
                    return text
                }
            }
            #expect(received.contains("HTTP/1.1 200 OK"))
            #expect(try await readBack(batch, from: server.reader) == canonicalSpans(batch))
        }
    }
}
