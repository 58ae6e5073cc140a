package dev.mcpsandbox.server.transport;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class HostOriginPolicyTest {
    private final HostOriginPolicy policy = new HostOriginPolicy(List.of("app.example.com", "x.example:*"),
            List.of("https://app.example.com/", "http://x:*"), "0.0.0.0");

    @Test
    void localHostsAreAcceptedOnAnyPort_othersOnlyWhenAllowed() {
        for (String ok : List.of("localhost", "LOCALHOST:8080", "127.0.0.1:9", "[::1]", "[::1]:80", "app.example.com",
                "app.example.com:8443", "x.example:1")) {
            assertThat(policy.checkHost(ok)).as(ok).isEmpty();
        }
        for (String bad : List.of("evil.example", "localhost.evil.example", "app.example.com.evil", "y.example:1")) {
            assertThat(policy.checkHost(bad)).as(bad).hasValueSatisfying(m -> assertThat(m).contains("--allowed-host"));
        }
    }

    @Test
    void aMissingHostOrOrigin_passes() {
        assertThat(policy.checkHost(null)).isEmpty();
        assertThat(policy.checkOrigin(null)).isEmpty();
        assertThat(policy.checkOrigin("")).isEmpty();
    }

    @Test
    void localOriginsAreAccepted_foreignOnesOnlyWhenAllowed() {
        for (String ok : List.of("http://localhost:6274", "https://127.0.0.1", "http://[::1]:3000", "https://app.example.com",
                "http://x", "http://x:5")) {
            assertThat(policy.checkOrigin(ok)).as(ok).isEmpty();
        }
        for (String bad : List.of("http://evil.example.com", "http://localhost.evil.com", "https://app.example.com:444",
                "null")) {
            assertThat(policy.checkOrigin(bad)).as(bad).hasValueSatisfying(m -> assertThat(m).contains("--allowed-origin"));
        }
    }

    @Test
    void aSpecificBindAddressIsAHostToo_andStarAllowsAll() {
        HostOriginPolicy bound = new HostOriginPolicy(List.of(), List.of(), "10.1.2.3");
        assertThat(bound.checkHost("10.1.2.3:8080")).isEmpty();
        assertThat(bound.checkHost("10.1.2.4")).isPresent();
        HostOriginPolicy open = new HostOriginPolicy(List.of("*"), List.of("*"), "0.0.0.0");
        assertThat(open.checkHost("anything.example")).isEmpty();
        assertThat(open.checkOrigin("https://anything.example")).isEmpty();
    }
}
