package dev.palisade.conformance;

import dev.palisade.conformance.ClusterSpec.PortDecl;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static dev.palisade.conformance.Check.tcp;
import static dev.palisade.conformance.Check.udp;

/**
 * Seed 001 ("Kubernetes traffic control using network policies"): MySQL on 3306 reachable from the
 * backend only, then from a PHP client too; then a backend in namespace myapp whose egress is limited
 * to MySQL and Redis in namespace database; then ingress and egress in one policy. The seed shows
 * its YAML as screenshots only, so the policies are what its text describes.
 */
@Tag("kernel")
class MysqlBackendWalkthroughKernelTest extends ConformanceSuite {

    static ClusterSpec cluster() {
        List<PortDecl> mysql = List.of(new PortDecl("mysql", Proto.TCP, 3306));
        List<PortDecl> redis = List.of(new PortDecl("redis", Proto.TCP, 6379));
        List<PortDecl> http = List.of(new PortDecl("http", Proto.TCP, 80));
        return ClusterSpec.builder("seed-001-mysql", 41)
                .node("n1", "10.41.1.0/24", "fd10:41:1::/64")
                .node("n2", "10.41.2.0/24", "fd10:41:2::/64")
                .node("n3", "10.41.3.0/24", "fd10:41:3::/64")
                .namespace("shop", Map.of())
                .namespace("myapp", Map.of())
                .namespace("database", Map.of())
                .pod("shop/mysql", "n1", Map.of("app", "mysql"), mysql)
                .pod("shop/backend", "n2", Map.of("app", "backend"), http)
                .pod("shop/php", "n3", Map.of("app", "php"), http)
                .pod("shop/frontend", "n1", Map.of("app", "frontend"), http)
                .pod("myapp/backend", "n2", Map.of("app", "backend"), http)
                .pod("myapp/frontend", "n3", Map.of("app", "frontend"), http)
                .pod("database/mysql", "n3", Map.of("app", "mysql"), mysql)
                .pod("database/redis", "n1", Map.of("app", "redis"), redis)
                .pod("database/mongo", "n2", Map.of("app", "mongo"), List.of())
                .build();
    }

    @Override
    protected ClusterSpec spec() {
        return cluster();
    }

    @Test
    @DisplayName("only backend pods reach MySQL, and only on 3306 (myapp's backend is another namespace)")
    void mysqlFromBackend() {
        k.scenario("mysql-from-backend").policies("seeds/001-mysql-from-backend.yaml")
                .expect(tcp(3306), r -> r.expectAllIngress("shop/mysql", false).expect("shop/backend", "shop/mysql", true))
                .expect(tcp(80), r -> r.expectAllIngress("shop/mysql", false))
                .expect(udp(3306), r -> r.expectAllIngress("shop/mysql", false))
                .run();
    }

    @Test
    @DisplayName("adding a rule for the PHP client lets it reach MySQL on 3306 too")
    void mysqlFromBackendAndPhp() {
        k.scenario("mysql-from-backend-and-php").policies("seeds/001-mysql-from-backend-and-php.yaml")
                .expect(tcp(3306), r -> r.expectAllIngress("shop/mysql", false)
                        .expect("shop/backend", "shop/mysql", true).expect("shop/php", "shop/mysql", true))
                .expect(tcp(80), r -> r.expectAllIngress("shop/mysql", false))
                .expect(udp(3306), r -> r.expectAllIngress("shop/mysql", false))
                .run();
    }

    @Test
    @DisplayName("backend egress: MySQL on 3306 and Redis on 6379 in namespace database, nothing else")
    void backendEgressToDatabases() {
        k.scenario("backend-egress").policies("seeds/001-backend-egress.yaml")
                .expect(tcp(3306), r -> r.expectAllEgress("myapp/backend", false).expect("myapp/backend", "database/mysql", true))
                .expect(tcp(6379), r -> r.expectAllEgress("myapp/backend", false).expect("myapp/backend", "database/redis", true))
                .expect(tcp(80), r -> r.expectAllEgress("myapp/backend", false))
                .expect(udp(3306, 6379), r -> r.expectAllEgress("myapp/backend", false))
                .run();
    }

    @Test
    @DisplayName("ingress and egress in one policy: MySQL serves backend and PHP, and initiates nothing")
    void ingressAndEgressInOnePolicy() {
        k.scenario("mysql-ingress-and-egress").policies("seeds/001-mysql-ingress-and-egress.yaml")
                .expect(tcp(3306), r -> r.expectAllIngress("shop/mysql", false).expectAllEgress("shop/mysql", false)
                        .expect("shop/backend", "shop/mysql", true).expect("shop/php", "shop/mysql", true))
                .expect(tcp(80), r -> r.expectAllIngress("shop/mysql", false).expectAllEgress("shop/mysql", false))
                .expect(udp(3306), r -> r.expectAllIngress("shop/mysql", false).expectAllEgress("shop/mysql", false))
                .run();
    }
}
