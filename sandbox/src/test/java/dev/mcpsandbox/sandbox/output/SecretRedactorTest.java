package dev.mcpsandbox.sandbox.output;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import java.time.Duration;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class SecretRedactorTest {

    // Fake credentials are assembled at run time so secret scanners do not flag this file as a leak.
    private static final String FAKE_GITHUB_TOKEN = "ghp_" + "a1B2c3D4e5".repeat(4);
    private static final String FAKE_ANTHROPIC_KEY = "sk-" + "ant-api03-" + "Zx9_Yw8-Vu7".repeat(5);
    private static final String FAKE_OPENAI_KEY = "sk-" + "proj-" + "Qr5St6Uv7Wx8".repeat(4);

    private final SecretRedactor redactor = SecretRedactor.standard();

    @Test
    void redactsPemPrivateKeyBlock() {
        String output = "key follows\n"
                + "-----BEGIN OPENSSH PRIVATE KEY-----\n"
                + "b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW\n"
                + "QyNTUxOQAAACDr1Yq8dZ2j3Qm0AKIAIOSFODNN7EXAMPLEAAAAAAAAAAAAAAAAAAAAAAAAAA\n"
                + "-----END OPENSSH PRIVATE KEY-----\n"
                + "done\n";

        SecretRedactor.Redacted result = redactor.redact(output);

        assertThat(result.text()).isEqualTo("key follows\n[REDACTED:private_key]\ndone\n");
        assertThat(result.kinds()).containsExactly("private_key");
    }

    @ParameterizedTest
    @CsvSource({"'RSA '", "'EC '", "'ENCRYPTED '", "'DSA '", "''"})
    void redactsEveryPemPrivateKeyVariant(String type) {
        String block = "-----BEGIN " + type + "PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n-----END " + type
                + "PRIVATE KEY-----";

        assertThat(redactor.redact("a\n" + block + "\nb").text()).isEqualTo("a\n[REDACTED:private_key]\nb");
    }

    @Test
    void redactsTruncatedPrivateKeyToTheEndOfOutput() {
        String truncated = "-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEA7bq\n...[output truncated]";

        assertThat(redactor.redact("x\n" + truncated).text()).isEqualTo("x\n[REDACTED:private_key]");
    }

    @Test
    void redactsAwsAccessKey() {
        SecretRedactor.Redacted result = redactor.redact("found AKIAIOSFODNN7EXAMPLE in ~/.aws/credentials");

        assertThat(result.text()).isEqualTo("found [REDACTED:aws_access_key] in ~/.aws/credentials");
        assertThat(result.kinds()).containsExactly("aws_access_key");
    }

    @Test
    void redactsAwsSecretKeyOnlyAfterItsLabel() {
        String secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";

        assertThat(redactor.redact("aws_secret_access_key = " + secret).text())
                .isEqualTo("aws_secret_access_key = [REDACTED:aws_secret_key]");
        assertThat(redactor.redact("{\"SecretAccessKey\": \"" + secret + "\"}").text())
                .isEqualTo("{\"SecretAccessKey\": \"[REDACTED:aws_secret_key]\"}");
        assertThat(redactor.redact("blob " + secret).changed()).isFalse();
    }

    @Test
    void redactsBearerTokenButKeepsScheme() {
        SecretRedactor.Redacted result = redactor.redact("Authorization: Bearer abc123DEF456ghi789.jkl~0\n");

        assertThat(result.text()).isEqualTo("Authorization: Bearer [REDACTED:bearer_token]\n");
        assertThat(result.kinds()).containsExactly("bearer_token");
        assertThat(redactor.redact("Bearer short").changed()).isFalse();
    }

    @ParameterizedTest
    @CsvSource({"4111 1111 1111 1111", "4111-1111-1111-1111", "4111111111111111", "3782 822463 10005",
            "5555555555554444"})
    void redactsLuhnValidCardNumber(String card) {
        SecretRedactor.Redacted result = redactor.redact("card: " + card + " exp 12/29");

        assertThat(result.text()).isEqualTo("card: [REDACTED:card_number] exp 12/29");
        assertThat(result.kinds()).containsExactly("card_number");
    }

    @ParameterizedTest
    @CsvSource({"4111 1111 1111 1112", "4111111111111112", "5555555555554440"})
    void keepsDigitRunThatFailsLuhn(String digits) {
        assertThat(redactor.redact("id " + digits).changed()).isFalse();
    }

    @Test
    void keepsCardLikeNumberEmbeddedInLongerDigitRun() {
        // 4111111111111111 is Luhn-valid on its own, but here it is part of a 24-digit number.
        assertThat(redactor.redact("n=41111111111111110000000").changed()).isFalse();
        assertThat(redactor.redact("n=9994111111111111111").changed()).isFalse();
    }

    @Test
    void classifiesAnthropicKeySeparatelyFromOpenAi() {
        SecretRedactor.Redacted result = redactor.redact(FAKE_ANTHROPIC_KEY + "\n" + FAKE_OPENAI_KEY);

        assertThat(result.text()).isEqualTo("[REDACTED:anthropic_key]\n[REDACTED:openai_key]");
        assertThat(result.kinds()).containsExactly("anthropic_key", "openai_key");
    }

    @ParameterizedTest
    @CsvSource({
            "github_token, ghp_, a1B2c3D4e5a1B2c3D4e5a1B2c3D4e5a1B2c3D4e5",
            "github_token, github_pat_, 11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz",
            "slack_token, xoxb-, 1234567890-0987654321-AbCdEfGhIjKl",
            "google_api_key, AIza, SyA1234567890abcdefghijklmnopqrstuv",
            "stripe_key, sk_live_, 4eC39HqLyjWDarjtT1zdp7dc",
            "stripe_key, rk_live_, 4eC39HqLyjWDarjtT1zdp7dcXYZ",
            "jwt, eyJ, hbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0In0.dBjftJeZ4CVPmB92K27uhbUJU1p1r_wW1gFWFOEjXk"})
    void redactsEachBuiltInKind(String kind, String prefix, String rest) {
        // Prefix and body are split so secret scanners do not flag this file as a leak.
        SecretRedactor.Redacted result = redactor.redact("value: " + prefix + rest + " end");

        assertThat(result.text()).isEqualTo("value: [REDACTED:" + kind + "] end");
        assertThat(result.kinds()).containsExactly(kind);
    }

    @Test
    void reportsEachKindOnce() {
        String output = "Authorization: Bearer abcdefghijklmnop1234\n"
                + "key1=AKIAIOSFODNN7EXAMPLE\n"
                + "key2=AKIAI44QH8DHBEXAMPLE\n"
                + "retry Bearer zyxwvutsrqponmlk9876\n";

        SecretRedactor.Redacted result = redactor.redact(output);

        assertThat(result.kinds()).containsExactly("bearer_token", "aws_access_key");
        assertThat(result.text()).doesNotContain("AKIA", "abcdefghijklmnop1234", "zyxwvutsrqponmlk9876");
    }

    @Test
    void prefersSpecificKindOverGenericAssignment() {
        SecretRedactor.Redacted result = redactor.redact("GITHUB_TOKEN=" + FAKE_GITHUB_TOKEN);

        assertThat(result.text()).isEqualTo("GITHUB_TOKEN=[REDACTED:github_token]");
        assertThat(result.kinds()).containsExactly("github_token");
    }

    @Test
    void leavesOrdinaryOutputUntouched() {
        String output = "42\n"
                + "Traceback (most recent call last):\n"
                + "  File \"/workspace/main.py\", line 3, in <module>\n"
                + "    print(1/0)\n"
                + "ZeroDivisionError: division by zero\n"
                + "uuid 550e8400-e29b-41d4-a716-446655440000\n"
                + "commit e83c5163316f89bfbde7d9ab23ca2e25604af290\n"
                + "sha256 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08\n"
                + "elapsed_ns=1718000000123456789 at 2024-01-15 12:00:00\n"
                + "max_tokens=100000000 password=None secret_name: x\n"
                + "cat: /etc/passwd: Permission denied\n"
                + "10 20 30 40 50 60 70 80\n"
                + "PWD=/workspace\n";

        SecretRedactor.Redacted result = redactor.redact(output);

        assertThat(result.text()).isEqualTo(output);
        assertThat(result.changed()).isFalse();
    }

    @Test
    void redactsPasswordAssignmentValueOnly() {
        assertThat(redactor.redact("password=hunter2hunter2").text()).isEqualTo("password=[REDACTED:password_assignment]");
        assertThat(redactor.redact("{\"api_key\": \"0123456789abcdef\"}").text())
                .isEqualTo("{\"api_key\": \"[REDACTED:password_assignment]\"}");
        assertThat(redactor.redact("client_secret: s3cr3t-v4lue").text())
                .isEqualTo("client_secret: [REDACTED:password_assignment]");
        assertThat(redactor.redact("DB_PASSWORD = 'correct horse'").text())
                .isEqualTo("DB_PASSWORD = 'correct horse'"); // "correct" is below the 8-character minimum
        assertThat(redactor.redact("token=abcdefgh").kinds()).containsExactly("password_assignment");
    }

    @Test
    void handlesMegabyteInputQuickly() {
        String randomText = randomText(1 << 20, new Random(42));
        String digitsAndSpaces = "4111 ".repeat((1 << 20) / 5);
        String labels = "password=password=".repeat((1 << 20) / 18);
        String unterminatedKeys = "-----BEGIN PRIVATE KEY-----".repeat((1 << 20) / 27);

        assertTimeoutPreemptively(Duration.ofSeconds(5), () -> {
            for (String input : new String[] {randomText, digitsAndSpaces, labels, unterminatedKeys}) {
                assertThat(redactor.redact(input).text()).isNotNull();
            }
        });
    }

    private static String randomText(int length, Random random) {
        String alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789      \n\t-_.:=/+\"'{}[]()";
        StringBuilder text = new StringBuilder(length);
        for (int i = 0; i < length; i++) {
            text.append(alphabet.charAt(random.nextInt(alphabet.length())));
        }
        return text.toString();
    }

    @org.junit.jupiter.api.Test
    void leavesDecimalFractionsAlone() {
        // 4111111111111111 passes the Luhn check; printed as a float it is not a card number.
        for (String text : java.util.List.of("0.4111111111111111", "[0.4111111111111111, 2]", "4111111111111111.5")) {
            org.assertj.core.api.Assertions.assertThat(SecretRedactor.standard().redact(text).changed()).as(text).isFalse();
        }
    }
}
