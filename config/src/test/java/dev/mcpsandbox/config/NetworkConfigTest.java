package dev.mcpsandbox.config;

import org.junit.jupiter.api.Test;

import java.net.InetAddress;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class NetworkConfigTest {

    @Test
    void noNetworkBlock_meansNoNetwork() throws Exception {
        ServerConfig config = ConfigLoader.parse("{}", "test");
        assertThat(config.network().enabled()).isFalse();
        assertThat(config.packages().python().configured()).isFalse();
    }

    @Test
    void validPatterns_andPackages_load() throws Exception {
        ServerConfig config = ConfigLoader.parse("""
                { "network": { "allow": ["api.example.com", "*.example.org", "10.1.2.3:8443", "[::1]:8080"],
                               "deny": ["secret.example.org"], "maxBytesPerCall": 1000, "maxConnectionsPerCall": 3 },
                  "packages": { "python": { "indexUrl": "http://127.0.0.1:9/simple/", "trustedHosts": ["127.0.0.1"] },
                                "javascript": { "registry": "http://127.0.0.1:9/" } } }
                """, "test");
        assertThat(config.network().enabled()).isTrue();
        assertThat(config.network().maxBytesPerCall()).isEqualTo(1000);
        assertThat(config.packages().python().indexUrl()).isEqualTo("http://127.0.0.1:9/simple/");
        assertThat(config.packages().javascript().registry()).isEqualTo("http://127.0.0.1:9/");
    }

    @Test
    void badPatterns_areErrorsNamingTheirKey() {
        assertThatThrownBy(() -> ConfigLoader.parse("""
                { "network": { "allow": ["ok.example.com", "a..example.com", "*", "https://api.example.com/v1",
                                         "host:99999", "*.10.0.0.1"],
                               "deny": [".example.com"] } }
                """, "test"))
                .isInstanceOfSatisfying(InvalidConfigException.class, e -> {
                    assertThat(e.problems()).extracting(ConfigProblem::keyPath).containsExactlyInAnyOrder(
                            "network.allow[1]", "network.allow[2]", "network.allow[3]", "network.allow[4]",
                            "network.allow[5]", "network.deny[0]");
                    assertThat(e.getMessage()).contains("empty label").contains("\"*\" alone").contains("is a URL")
                            .contains("port must be");
                });
    }

    @Test
    void packageIndex_mustBeAnHttpUrl() {
        assertThatThrownBy(() -> ConfigLoader.parse("""
                { "packages": { "python": { "indexUrl": "ftp://x/simple", "findLinks": ["wheels"] } } }
                """, "test"))
                .isInstanceOfSatisfying(InvalidConfigException.class, e -> assertThat(e.problems())
                        .extracting(ConfigProblem::keyPath)
                        .containsExactlyInAnyOrder("packages.python.indexUrl", "packages.python.findLinks[0]"));
    }

    @Test
    void patternWithoutPort_coversOnly80And443() {
        HostPattern p = HostPattern.parse("API.example.com");
        assertThat(p.matchesName("api.example.com", 443)).isTrue();
        assertThat(p.matchesName("api.example.com", 80)).isTrue();
        assertThat(p.matchesName("api.example.com", 8443)).isFalse();
        assertThat(p.matchesName("x.api.example.com", 443)).isFalse();
    }

    @Test
    void wildcard_coversSubdomainsOnly() {
        HostPattern p = HostPattern.parse("*.example.org:8080");
        assertThat(p.matchesName("a.example.org", 8080)).isTrue();
        assertThat(p.matchesName("a.b.example.org", 8080)).isTrue();
        assertThat(p.matchesName("example.org", 8080)).isFalse();
        assertThat(p.matchesName("evilexample.org", 8080)).isFalse();
    }

    @Test
    void addressPatterns_listExactly() throws Exception {
        HostPattern v4 = HostPattern.parse("127.0.0.1:8080");
        assertThat(v4.listsExactly(InetAddress.getByName("127.0.0.1"), 8080)).isTrue();
        assertThat(v4.listsExactly(InetAddress.getByName("127.0.0.1"), 8081)).isFalse();
        assertThat(HostPattern.parse("10.0.0.1").listsExactly(InetAddress.getByName("10.0.0.1"), 443)).isFalse();
        assertThat(HostPattern.parse("[::1]:80").matchesAddress(InetAddress.getByName("::1"), 80)).isTrue();
        assertThat(HostPattern.ipv4("127.1")).isEmpty();
        assertThat(HostPattern.ipv4("0177.0.0.1")).isEmpty();
    }
}
