package dev.mcpsandbox.tools.discovery;

import com.fasterxml.jackson.databind.JsonNode;
import dev.mcpsandbox.tools.registry.ToolDescriptor;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static dev.mcpsandbox.tools.discovery.Fixtures.JSON;
import static dev.mcpsandbox.tools.discovery.Fixtures.tool;
import static org.assertj.core.api.Assertions.assertThat;

class CallSnippetTest {

    /** The JSON between the first '{' and the last '}' of a snippet. */
    static String jsonPart(String snippet) {
        return snippet.substring(snippet.indexOf('{'), snippet.lastIndexOf('}') + 1);
    }

    /** Undoes POSIX shell quoting of one argument word ('...' runs and \' between them). */
    static String unquoteShellWord(String word) {
        StringBuilder b = new StringBuilder();
        int i = 0;
        while (i < word.length()) {
            char c = word.charAt(i);
            if (c == '\'') {
                int end = word.indexOf('\'', i + 1);
                b.append(word, i + 1, end);
                i = end + 1;
            } else if (c == '\\') {
                b.append(word.charAt(i + 1));
                i += 2;
            } else {
                b.append(c);
                i++;
            }
        }
        return b.toString();
    }

    /** The last shell word of a {@code tool name 'json'} line (the JSON argument, still quoted). */
    static String lastShellWord(String line) {
        int start = line.lastIndexOf(" '{");
        return line.substring(start + 1);
    }

    @Test
    void pythonSnippetUsesIdentifiers() {
        assertThat(CallSnippet.forLanguage(Fixtures.getSum(), "python")).isEqualTo("result = tools.everything.get_sum(a=0, b=0)");
        assertThat(CallSnippet.forLanguage(Fixtures.echo(), "py")).isEqualTo("result = tools.everything.echo(message=\"...\")");
        assertThat(CallSnippet.forLanguage(Fixtures.structuredContent(), "Python3"))
                .isEqualTo("result = tools.everything.get_structured_content(location=\"New York\")");
        assertThat(CallSnippet.forLanguage(Fixtures.createEntities(), "python"))
                .isEqualTo("result = tools.memory.create_entities(entities=[])");
    }

    @Test
    void pythonSnippetFallsBackToCallForNonIdentifierArguments() throws Exception {
        String snippet = CallSnippet.forLanguage(Fixtures.keywordArguments(), "python");
        assertThat(snippet).isEqualTo("result = tools.call(\"odd.weird-tool\", {\"class\": \"...\", \"my-arg\": 0, \"plain\": \"...\"})");
        JsonNode args = JSON.readTree(jsonPart(snippet));
        assertThat(args.get("class").asText()).isEqualTo("...");
        assertThat(args.get("my-arg").isNumber()).isTrue();
    }

    @Test
    void pythonSnippetFallsBackToCallForKeywordAndReservedNames() {
        assertThat(CallSnippet.forLanguage(tool("srv.import", null, "", "{}"), "python"))
                .isEqualTo("result = tools.call(\"srv.import\", {})");
        assertThat(CallSnippet.forLanguage(tool("class.x", null, "", "{}"), "python"))
                .isEqualTo("result = tools.call(\"class.x\", {})");
        assertThat(CallSnippet.forLanguage(tool("call.x", null, "", "{}"), "python"))
                .isEqualTo("result = tools.call(\"call.x\", {})");
        assertThat(CallSnippet.forLanguage(tool("call.x", null, "", "{}"), "javascript"))
                .isEqualTo("const result = await tools.call(\"call.x\", {});");
        assertThat(CallSnippet.forLanguage(tool("srv.2fa", null, "", "{}"), "python"))
                .isEqualTo("result = tools.srv._2fa()");
    }

    @Test
    void pythonLiteralsUsePythonConstants() {
        ToolDescriptor flags = tool("srv.flags", null, "", """
                {"type":"object","properties":{"on":{"type":"boolean"},"nothing":{"type":"null"},
                 "fallback":{"type":"object","default":{"deep":[true,null,1.5]}}},"required":["on","nothing","fallback"]}""");
        assertThat(CallSnippet.forLanguage(flags, "python"))
                .isEqualTo("result = tools.srv.flags(on=False, nothing=None, fallback={\"deep\": [True, None, 1.5]})");
        assertThat(CallSnippet.forLanguage(flags, "javascript"))
                .isEqualTo("const result = await tools.srv.flags({\"on\": false, \"nothing\": null, \"fallback\": {\"deep\": [true, null, 1.5]}});");
    }

    @Test
    void javascriptSnippetAwaitsAndPassesJson() throws Exception {
        String snippet = CallSnippet.forLanguage(Fixtures.getSum(), "javascript");
        assertThat(snippet).isEqualTo("const result = await tools.everything.get_sum({\"a\": 0, \"b\": 0});");
        assertThat(CallSnippet.forLanguage(Fixtures.getSum(), "node")).isEqualTo(snippet);
        assertThat(JSON.readTree(jsonPart(snippet)).get("b").asInt()).isZero();
    }

    @Test
    void bashSnippetQuotesJson() throws Exception {
        assertThat(CallSnippet.forLanguage(Fixtures.getSum(), "bash")).isEqualTo("tool everything.get-sum '{\"a\": 0, \"b\": 0}'");
        ToolDescriptor quoting = tool("notes.add-note", null, "", """
                {"type":"object","properties":{"text":{"type":"string","default":"it's a \\"test\\" $HOME `x` \\\\"}},
                 "required":["text"]}""");
        String snippet = CallSnippet.forLanguage(quoting, "bash");
        assertThat(snippet).isEqualTo("tool notes.add-note '{\"text\": \"it'\\''s a \\\"test\\\" $HOME `x` \\\\\"}'");
        JsonNode args = JSON.readTree(unquoteShellWord(lastShellWord(snippet)));
        assertThat(args.get("text").asText()).isEqualTo("it's a \"test\" $HOME `x` \\");
    }

    @Test
    void otherLanguagesGetTheToolCommand() {
        assertThat(CallSnippet.forLanguage(Fixtures.echo(), "ruby")).isEqualTo("tool everything.echo '{\"message\": \"...\"}'");
        assertThat(CallSnippet.forLanguage(Fixtures.echo(), null)).startsWith("tool everything.echo ");
        assertThat(CallSnippet.forLanguage(tool("srv.we ird'name", null, "", "{}"), "bash"))
                .isEqualTo("tool 'srv.we ird'\\''name' '{}'");
    }

    @Test
    void examplesComeFromDefaultExamplesConstEnumThenType() {
        ToolDescriptor t = tool("srv.t", null, "", """
                {"type":"object","properties":{
                  "withDefault":{"type":"integer","default":5,"examples":[7]},
                  "withExamples":{"type":"string","examples":["sample"]},
                  "withExample":{"type":"string","example":"one"},
                  "withConst":{"const":"c"},
                  "withEnum":{"type":"string","enum":["first","second"]},
                  "text":{"type":"string"},"count":{"type":"integer"},"ratio":{"type":"number"},
                  "flag":{"type":"boolean"},"list":{"type":"array"},"map":{"type":"object"},
                  "nullableText":{"type":["null","string"]},
                  "viaRef":{"$ref":"#/$defs/Num"},
                  "viaAnyOf":{"anyOf":[{"type":"null"},{"type":"integer"}]},
                  "untyped":{},
                  "optional":{"type":"string"}},
                 "$defs":{"Num":{"type":"number"}},
                 "required":["withDefault","withExamples","withExample","withConst","withEnum","text","count","ratio",
                  "flag","list","map","nullableText","viaRef","viaAnyOf","untyped"]}""");
        String snippet = CallSnippet.forLanguage(t, "javascript");
        assertThat(jsonPart(snippet)).isEqualTo("""
                {"withDefault": 5, "withExamples": "sample", "withExample": "one", "withConst": "c", \
                "withEnum": "first", "text": "...", "count": 0, "ratio": 0, "flag": false, "list": [], "map": {}, \
                "nullableText": "...", "viaRef": 0, "viaAnyOf": 0, "untyped": null}""");
        assertThat(CallSnippet.exampleArguments(t)).doesNotContainKey("optional").containsEntry("withDefault", 5);
    }

    @Test
    void snippetsStayValidForHostileSchemasAndNames() throws Exception {
        List<ToolDescriptor> tools = new ArrayList<>(Fixtures.hostile());
        tools.add(Fixtures.keywordArguments());
        for (ToolDescriptor t : tools) {
            String js = CallSnippet.forLanguage(t, "javascript");
            assertThat(js).startsWith("const result = await tools.").endsWith(");");
            assertThat(JSON.readTree(jsonPart(js)).isObject()).as(js).isTrue();
            String bash = CallSnippet.forLanguage(t, "bash");
            assertThat(JSON.readTree(unquoteShellWord(lastShellWord(bash))).isObject()).as(bash).isTrue();
            String python = CallSnippet.forLanguage(t, "python");
            assertThat(python).startsWith("result = tools.").doesNotContain("\n");
        }
    }
}
