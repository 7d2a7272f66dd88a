package dev.palisade.compiler;

import dev.palisade.compiler.ReferenceEvaluator.Endpoint;
import dev.palisade.model.Protocol;

/** The first packet of a connection: from an endpoint to an endpoint, on a protocol and destination port. */
public record Flow(Endpoint src, Endpoint dst, Protocol protocol, int port) {

    public Flow {
        if (src.ip().family() != dst.ip().family()) {
            throw new IllegalArgumentException("a flow stays within one address family");
        }
    }

    @Override
    public String toString() {
        return src + " -> " + dst + " " + protocol.lower() + "/" + port;
    }
}
