package dev.palisade.operator;

import dev.palisade.operator.publish.RuleSetEncoder;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;

/**
 * Settings of one operator replica. {@link #fromEnvironment(Map)} gives what runs in a cluster (the
 * pod's name and namespace from the downward API); tests shorten the timings.
 *
 * @param identity      this replica's name in the Lease (the pod name)
 * @param namespace     where the Lease lives (the operator's namespace)
 * @param leaseName     name of the coordination.k8s.io Lease
 * @param http          address of /metrics, /healthz and /readyz (port 0: any free port)
 * @param quiet         a sync starts once no event has arrived for this long...
 * @param maxDelay      ...or this long after the first unhandled event, whichever is first
 * @param leaseDuration how long a lease holds without renewal (a standby takes over after it)
 * @param renewDeadline how long the leader keeps trying to renew before it gives up leading
 * @param retryPeriod   how often candidates try to acquire and the leader renews
 * @param limits        size limits of the published objects
 */
public record OperatorConfig(String identity, String namespace, String leaseName, InetSocketAddress http,
                             Duration quiet, Duration maxDelay, Duration leaseDuration, Duration renewDeadline,
                             Duration retryPeriod, RuleSetEncoder.Limits limits) {

    public static final String DEFAULT_NAMESPACE = "palisade-system";
    public static final String DEFAULT_LEASE = "palisade-operator";
    public static final int DEFAULT_HTTP_PORT = 9090;

    public OperatorConfig {
        Objects.requireNonNull(identity, "identity");
        Objects.requireNonNull(namespace, "namespace");
        Objects.requireNonNull(leaseName, "leaseName");
        Objects.requireNonNull(http, "http");
        if (!(renewDeadline.compareTo(leaseDuration) < 0 && retryPeriod.compareTo(renewDeadline) < 0)) {
            throw new IllegalArgumentException("need retryPeriod < renewDeadline < leaseDuration");
        }
    }

    /** POD_NAME (else HOSTNAME), POD_NAMESPACE (else palisade-system), PALISADE_HTTP_PORT (else 9090). */
    public static OperatorConfig fromEnvironment(Map<String, String> env) {
        String identity = env.getOrDefault("POD_NAME", env.getOrDefault("HOSTNAME", "palisade-operator"));
        String namespace = env.getOrDefault("POD_NAMESPACE", DEFAULT_NAMESPACE);
        int port = Integer.parseInt(env.getOrDefault("PALISADE_HTTP_PORT", Integer.toString(DEFAULT_HTTP_PORT)));
        return new OperatorConfig(identity, namespace, DEFAULT_LEASE, new InetSocketAddress(port),
                Duration.ofMillis(75), Duration.ofSeconds(1), Duration.ofSeconds(15), Duration.ofSeconds(10),
                Duration.ofSeconds(2), RuleSetEncoder.Limits.DEFAULT);
    }

    public OperatorConfig withIdentity(String id) {
        return new OperatorConfig(id, namespace, leaseName, http, quiet, maxDelay, leaseDuration, renewDeadline,
                retryPeriod, limits);
    }

    public OperatorConfig withNamespace(String ns) {
        return new OperatorConfig(identity, ns, leaseName, http, quiet, maxDelay, leaseDuration, renewDeadline,
                retryPeriod, limits);
    }

    public OperatorConfig withHttp(InetSocketAddress address) {
        return new OperatorConfig(identity, namespace, leaseName, address, quiet, maxDelay, leaseDuration,
                renewDeadline, retryPeriod, limits);
    }

    public OperatorConfig withLease(Duration duration, Duration renew, Duration retry) {
        return new OperatorConfig(identity, namespace, leaseName, http, quiet, maxDelay, duration, renew, retry, limits);
    }

    public OperatorConfig withLimits(RuleSetEncoder.Limits l) {
        return new OperatorConfig(identity, namespace, leaseName, http, quiet, maxDelay, leaseDuration, renewDeadline,
                retryPeriod, l);
    }
}
