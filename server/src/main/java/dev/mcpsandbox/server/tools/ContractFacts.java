package dev.mcpsandbox.server.tools;

import dev.mcpsandbox.config.LimitsConfig;
import dev.mcpsandbox.config.ResourceLimits;
import dev.mcpsandbox.sandbox.language.LanguageCatalog;

import java.util.LinkedHashMap;
import java.util.Map;

/** This server's facts that the published schemas mention: the language ids, each limit's default and maximum. */
final class ContractFacts {
    private ContractFacts() {
    }

    static Map<String, String> of(LanguageCatalog languages, LimitsConfig limits) {
        Map<String, String> facts = new LinkedHashMap<>();
        facts.put("languages", languages.availableIds());
        for (ResourceLimits.Key k : ResourceLimits.Key.values()) {
            facts.put(k.jsonName() + ".default", Long.toString(limits.defaults().get(k)));
            facts.put(k.jsonName() + ".max", Long.toString(limits.maxima().get(k)));
        }
        return facts;
    }
}
