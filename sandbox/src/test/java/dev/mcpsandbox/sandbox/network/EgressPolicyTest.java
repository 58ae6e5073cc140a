package dev.mcpsandbox.sandbox.network;

import dev.mcpsandbox.config.NetworkConfig;
import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** The proxy's decisions, with a fixed name table instead of DNS: nothing here looks anything up. */
class EgressPolicyTest {
    private static final Map<String, String> NAMES = Map.of(
            "api.example.com", "93.184.216.34",
            "a.example.org", "93.184.216.35",
            "secret.example.org", "93.184.216.36",
            "metadata.example.org", "169.254.169.254",
            "inside.example.org", "10.1.2.3",
            "rebind.example.org", "127.0.0.1",
            "ula.example.org", "fd00::1");

    private static EgressPolicy policy(List<String> allow, List<String> deny) {
        return new EgressPolicy(new NetworkConfig(allow, deny, 1000, 10), host -> {
            String address = NAMES.get(host);
            if (address == null) {
                throw new UnknownHostException(host);
            }
            return new InetAddress[]{InetAddress.getByName(address)};
        });
    }

    private static final EgressPolicy POLICY = policy(
            List.of("api.example.com", "*.example.org:8443", "10.1.2.3:8443", "127.0.0.1:9000"),
            List.of("secret.example.org:8443"));

    @Test
    void listedName_isAllowed_onlyOnItsPorts() {
        assertThat(POLICY.decide("api.example.com", 443)).isInstanceOf(EgressPolicy.Allowed.class);
        assertThat(POLICY.decide("API.Example.com.", 80)).isInstanceOf(EgressPolicy.Allowed.class);
        assertThat(POLICY.decide("api.example.com", 8080)).isInstanceOfSatisfying(EgressPolicy.Refused.class,
                r -> assertThat(r.reason()).contains("not on the operator's network.allow list"));
        assertThat(POLICY.decide("a.example.org", 8443)).isInstanceOfSatisfying(EgressPolicy.Allowed.class,
                a -> assertThat(a.rule()).isEqualTo("*.example.org:8443"));
    }

    @Test
    void deny_winsOverAllow() {
        assertThat(POLICY.decide("secret.example.org", 8443)).isInstanceOfSatisfying(EgressPolicy.Refused.class,
                r -> assertThat(r.reason()).contains("network.deny"));
    }

    @Test
    void namesResolvingToSpecialAddresses_areRefused_unlessTheExactAddressAndPortIsListed() {
        assertThat(POLICY.decide("metadata.example.org", 8443)).isInstanceOfSatisfying(EgressPolicy.Refused.class,
                r -> assertThat(r.reason()).contains("link-local address 169.254.169.254"));
        assertThat(POLICY.decide("rebind.example.org", 8443)).isInstanceOfSatisfying(EgressPolicy.Refused.class,
                r -> assertThat(r.reason()).contains("loopback"));
        assertThat(POLICY.decide("ula.example.org", 8443)).isInstanceOfSatisfying(EgressPolicy.Refused.class,
                r -> assertThat(r.reason()).contains("unique local"));
        assertThat(POLICY.decide("inside.example.org", 8443)).as("10.1.2.3:8443 is listed exactly")
                .isInstanceOf(EgressPolicy.Allowed.class);
    }

    @Test
    void ipLiterals_areAllowedOnlyWhenListed() {
        assertThat(POLICY.decide("127.0.0.1", 9000)).isInstanceOf(EgressPolicy.Allowed.class);
        assertThat(POLICY.decide("127.0.0.1", 9001)).isInstanceOf(EgressPolicy.Refused.class);
        assertThat(POLICY.decide("93.184.216.34", 443)).as("the address of an allowed name, as a literal")
                .isInstanceOf(EgressPolicy.Refused.class);
        assertThat(POLICY.decide("[::1]", 9000)).isInstanceOf(EgressPolicy.Refused.class);
        assertThat(POLICY.decide("::ffff:127.0.0.1", 9001)).isInstanceOf(EgressPolicy.Refused.class);
    }

    @Test
    void addressesInDisguise_areNotNames() {
        for (String disguised : List.of("2130706433", "127.1", "0177.0.0.1")) {
            assertThat(POLICY.decide(disguised, 9000)).as(disguised).isInstanceOf(EgressPolicy.Refused.class);
        }
    }

    @Test
    void anAddressPatternWithoutPort_doesNotOpenASpecialAddress() {
        EgressPolicy p = policy(List.of("127.0.0.1"), List.of());
        assertThat(p.decide("127.0.0.1", 80)).isInstanceOfSatisfying(EgressPolicy.Refused.class,
                r -> assertThat(r.reason()).contains("lists exactly 127.0.0.1:80"));
    }

    @Test
    void specialKinds_coverTheRangesThatLeadInward() throws Exception {
        for (String address : List.of("127.0.0.1", "169.254.169.254", "10.0.0.1", "172.16.0.1", "192.168.1.1",
                "100.64.0.1", "0.0.0.0", "224.0.0.1", "255.255.255.255", "::1", "fe80::1", "fc00::1", "ff02::1",
                "64:ff9b::a00:1", "2002:a00:1::")) {
            assertThat(EgressPolicy.specialKind(InetAddress.getByName(address))).as(address).isPresent();
        }
        assertThat(EgressPolicy.specialKind(InetAddress.getByName("93.184.216.34"))).isEmpty();
        assertThat(EgressPolicy.specialKind(InetAddress.getByName("2606:2800:220:1::1"))).isEmpty();
    }
}
