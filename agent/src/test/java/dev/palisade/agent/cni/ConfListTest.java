package dev.palisade.agent.cni;

import dev.palisade.model.Cidr;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class ConfListTest {

    @Test
    void dualStackPtpWithHostLocalAndPortmap() {
        CniSettings s = CniSettings.Preset.KIND.settings().withMtu(1450).withIpamDataDir(Path.of("/var/lib/cni/n1"));
        String json = ConfList.render(s, List.of(Cidr.parse("fd00:10:244:1::/64"), Cidr.parse("10.244.1.0/24")));
        assertEquals("""
                {
                  "cniVersion" : "1.0.0",
                  "name" : "palisade",
                  "plugins" : [ {
                    "type" : "ptp",
                    "ipMasq" : false,
                    "mtu" : 1450,
                    "ipam" : {
                      "type" : "host-local",
                      "ranges" : [ [ {
                        "subnet" : "10.244.1.0/24"
                      } ], [ {
                        "subnet" : "fd00:10:244:1::/64"
                      } ] ],
                      "routes" : [ {
                        "dst" : "0.0.0.0/0"
                      }, {
                        "dst" : "::/0"
                      } ],
                      "dataDir" : "/var/lib/cni/n1"
                    }
                  }, {
                    "type" : "portmap",
                    "capabilities" : {
                      "portMappings" : true
                    }
                  } ]
                }
                """, json);
    }

    @Test
    void aNodeWithoutPodCidrsGetsNoConfiguration() {
        assertThrows(IllegalArgumentException.class, () -> ConfList.render(CniSettings.Preset.KIND.settings(), List.of()));
    }

    @Test
    void presets() {
        assertEquals(Path.of("/etc/cni/net.d/10-palisade.conflist"), CniSettings.Preset.KIND.settings().confFile());
        assertEquals(Path.of("/opt/cni/bin"), CniSettings.Preset.KIND.settings().binDir());
        assertEquals(Path.of("/var/lib/rancher/k3s/agent/etc/cni/net.d/10-palisade.conflist"),
                CniSettings.Preset.parse("k3d").settings().confFile());
        assertEquals(Path.of("/var/lib/rancher/k3s/data/current/bin"), CniSettings.Preset.parse("k3s").settings().binDir());
    }
}
