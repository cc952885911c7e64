"""One table of strings for figures in English, French, Dutch and German.

Every title, axis label and legend entry of :mod:`sim.figures` comes from :data:`STRINGS` through
:func:`t`. A key or language that is missing is an error (``KeyError`` / ``ValueError``), and the test
suite checks that every key has all four languages, so a figure can never fall back silently to
another language.
"""

from __future__ import annotations

import re
from typing import Any

LANGUAGES: tuple[str, ...] = ("en", "fr", "nl", "de")
"""Supported languages: English, French, Dutch, German."""

STRINGS: dict[str, dict[str, str]] = {
    # ---------------------------------------------------------------- response-time CDF
    "cdf.title": {
        "en": "Response times of urgent ambulance calls (A1)",
        "fr": "Délais d'intervention des appels ambulanciers urgents (A1)",
        "nl": "Aanrijtijden van spoedeisende ambulancemeldingen (A1)",
        "de": "Hilfsfristen dringender Rettungsdiensteinsätze (A1)",
    },
    "cdf.fire.title": {
        "en": "Response times of fire-service calls",
        "fr": "Délais d'intervention des pompiers",
        "nl": "Opkomsttijden van de brandweer",
        "de": "Hilfsfristen der Feuerwehr",
    },
    "cdf.xlabel": {
        "en": "Response time, call to first unit on scene (min)",
        "fr": "Délai, de l'appel à la première unité sur place (min)",
        "nl": "Aanrijtijd, van melding tot eerste eenheid ter plaatse (min)",
        "de": "Hilfsfrist, vom Notruf bis zur ersten Einheit vor Ort (min)",
    },
    "cdf.ylabel": {
        "en": "Calls answered within that time (%)",
        "fr": "Appels servis dans ce délai (%)",
        "nl": "Meldingen binnen die tijd (%)",
        "de": "Einsätze innerhalb dieser Zeit (%)",
    },
    "cdf.panel": {
        "en": "Calls in {country} (n = {n})",
        "fr": "Appels en {country} (n = {n})",
        "nl": "Meldingen in {country} (n = {n})",
        "de": "Einsätze in {country} (n = {n})",
    },
    "cdf.norm": {
        "en": "Norm {country}: {share} % within {minutes} min",
        "fr": "Norme {country} : {share} % en {minutes} min",
        "nl": "Norm {country}: {share} % binnen {minutes} min",
        "de": "Norm {country}: {share} % in {minutes} min",
    },
    "cdf.norm_limit": {
        "en": "Norm {country}, {cls}: {minutes} min",
        "fr": "Norme {country}, {cls} : {minutes} min",
        "nl": "Norm {country}, {cls}: {minutes} min",
        "de": "Frist {country}, {cls}: {minutes} min",
    },
    "cdf.limit": {
        "en": "Limit of the norm (no target share)",
        "fr": "Délai de la norme (sans part cible)",
        "nl": "Normtijd (zonder streefpercentage)",
        "de": "Frist (ohne Zielanteil)",
    },
    "cdf.no_norm": {
        "en": "No norm: 10 and 15 min",
        "fr": "Pas de norme : 10 et 15 min",
        "nl": "Geen norm: 10 en 15 min",
        "de": "Keine Frist: 10 und 15 min",
    },
    "cdf.band": {
        "en": "10 and 15 min (no norm)",
        "fr": "10 et 15 min (pas de norme)",
        "nl": "10 en 15 min (geen norm)",
        "de": "10 und 15 min (keine Frist)",
    },
    # ---------------------------------------------------------------- maps
    "map.region.title": {
        "en": "The region: roads, border and stations",
        "fr": "La région : routes, frontière et postes",
        "nl": "De regio: wegen, grens en posten",
        "de": "Die Region: Straßen, Grenze und Wachen",
    },
    "map.xlabel": {
        "en": "Longitude (°E)",
        "fr": "Longitude (°E)",
        "nl": "Lengtegraad (°O)",
        "de": "Länge (°O)",
    },
    "map.ylabel": {
        "en": "Latitude (°N)",
        "fr": "Latitude (°N)",
        "nl": "Breedtegraad (°N)",
        "de": "Breite (°N)",
    },
    "map.roads_major": {
        "en": "Major roads",
        "fr": "Routes principales",
        "nl": "Hoofdwegen",
        "de": "Hauptstraßen",
    },
    "map.roads_minor": {
        "en": "Other roads",
        "fr": "Autres routes",
        "nl": "Overige wegen",
        "de": "Sonstige Straßen",
    },
    "map.border": {
        "en": "National border",
        "fr": "Frontière nationale",
        "nl": "Landsgrens",
        "de": "Staatsgrenze",
    },
    "map.scale": {
        "en": "{km} km",
        "fr": "{km} km",
        "nl": "{km} km",
        "de": "{km} km",
    },
    "map.stations": {
        "en": "Stations",
        "fr": "Postes",
        "nl": "Posten",
        "de": "Wachen",
    },
    "map.country": {
        "en": "Country",
        "fr": "Pays",
        "nl": "Land",
        "de": "Land",
    },
    "map.unit_kind": {
        "en": "Units based there",
        "fr": "Unités basées",
        "nl": "Eenheden op de post",
        "de": "Stationierte Einheiten",
    },
    "map.access_leg": {
        "en": "Estimated drive to the road network",
        "fr": "Trajet estimé jusqu'au réseau routier",
        "nl": "Geschatte rit tot het wegennet",
        "de": "Geschätzte Anfahrt bis zum Straßennetz",
    },
    # the licence line keeps the form OpenStreetMap asks for in every language
    "map.osm_credit": {
        "en": "Roads: © OpenStreetMap contributors (ODbL)",
        "fr": "Routes : © OpenStreetMap contributors (ODbL)",
        "nl": "Wegen: © OpenStreetMap contributors (ODbL)",
        "de": "Straßen: © OpenStreetMap contributors (ODbL)",
    },
    "map.east": {"en": "E", "fr": "E", "nl": "O", "de": "O"},
    "map.west": {"en": "W", "fr": "O", "nl": "W", "de": "W"},
    "map.north": {"en": "N", "fr": "N", "nl": "N", "de": "N"},
    "map.south": {"en": "S", "fr": "S", "nl": "Z", "de": "S"},
    "kind.ambulance": {
        "en": "Ambulance",
        "fr": "Ambulance",
        "nl": "Ambulance",
        "de": "Rettungswagen",
    },
    "kind.smur": {
        "en": "Physician car (SMUR/MUG)",
        "fr": "SMUR (véhicule médicalisé)",
        "nl": "MUG (mobiele urgentiegroep)",
        "de": "Notarzteinsatzfahrzeug",
    },
    "kind.fire": {
        "en": "Fire engine",
        "fr": "Véhicule d'incendie",
        "nl": "Brandweerwagen",
        "de": "Feuerwehrfahrzeug",
    },
    "unit.pumper": {
        "en": "Fire engine (pumper)",
        "fr": "Fourgon-pompe",
        "nl": "Tankautospuit",
        "de": "Löschfahrzeug",
    },
    "unit.ladder": {
        "en": "Aerial ladder",
        "fr": "Échelle aérienne",
        "nl": "Ladderwagen",
        "de": "Drehleiter",
    },
    # ---------------------------------------------------------------- classes of calls (NORM_CLASSES)
    "class.urgent": {
        "en": "urgent (A1)",
        "fr": "urgent (A1)",
        "nl": "spoed (A1)",
        "de": "dringend (A1)",
    },
    "class.a2": {
        "en": "A2",
        "fr": "A2",
        "nl": "A2",
        "de": "A2",
    },
    "class.fire_5": {
        "en": "fire, 5-min building",
        "fr": "incendie, bâtiment 5 min",
        "nl": "brand, gebouw 5 min",
        "de": "Brand, Gebäude 5 min",
    },
    "class.fire_6": {
        "en": "fire, 6-min building",
        "fr": "incendie, bâtiment 6 min",
        "nl": "brand, gebouw 6 min",
        "de": "Brand, Gebäude 6 min",
    },
    "class.fire_8": {
        "en": "building fire",
        "fr": "incendie de bâtiment",
        "nl": "gebouwbrand",
        "de": "Gebäudebrand",
    },
    "class.fire_10": {
        "en": "fire, 10-min building",
        "fr": "incendie, bâtiment 10 min",
        "nl": "brand, gebouw 10 min",
        "de": "Brand, Gebäude 10 min",
    },
    "class.technical_rescue": {
        "en": "technical rescue",
        "fr": "sauvetage technique",
        "nl": "technische hulpverlening",
        "de": "technische Hilfe",
    },
    "class.fire": {
        "en": "other fire",
        "fr": "autre incendie",
        "nl": "overige brand",
        "de": "sonstiger Brand",
    },
    "rtmap.title": {
        "en": "Where help arrives late: 90th percentile of response times",
        "fr": "Où les secours arrivent tard : 90e centile des délais",
        "nl": "Waar hulp laat komt: 90e percentiel van de aanrijtijden",
        "de": "Wo Hilfe spät kommt: 90. Perzentil der Hilfsfristen",
    },
    "rtmap.p90": {
        "en": "90th percentile (min)",
        "fr": "90e centile (min)",
        "nl": "90e percentiel (min)",
        "de": "90. Perzentil (min)",
    },
    "rtmap.diff": {
        "en": "Change of the 90th percentile (min)",
        "fr": "Variation du 90e centile (min)",
        "nl": "Verandering van het 90e percentiel (min)",
        "de": "Änderung des 90. Perzentils (min)",
    },
    "rtmap.diff_panel": {
        "en": "{variant} minus {baseline} (blue: faster)",
        "fr": "{variant} moins {baseline} (bleu : plus rapide)",
        "nl": "{variant} min {baseline} (blauw: sneller)",
        "de": "{variant} minus {baseline} (blau: schneller)",
    },
    "rtmap.hex_note": {
        "en": "Urgent ambulance calls (A1), hexagons of {km} km with at least {n} calls",
        "fr": "Appels ambulanciers urgents (A1), hexagones de {km} km avec au moins {n} appels",
        "nl": "Spoedeisende ambulancemeldingen (A1), zeshoeken van {km} km met minstens {n} meldingen",
        "de": "Dringende Rettungsdiensteinsätze (A1), Sechsecke von {km} km mit mindestens {n} Einsätzen",
    },
    # ---------------------------------------------------------------- norm compliance
    "norm.title": {
        "en": "Calls within their norm, ambulance and fire apart",
        "fr": "Appels dans leur norme, ambulances et pompiers à part",
        "nl": "Meldingen binnen hun norm, ambulance en brandweer apart",
        "de": "Einsätze innerhalb ihrer Frist, Rettungsdienst und Feuerwehr getrennt",
    },
    "norm.xlabel": {
        "en": "Share within the norm, or within 15 min where there is none (%, 95 % confidence interval)",
        "fr": "Part dans la norme, ou en 15 min s'il n'y en a pas (%, intervalle de confiance à 95 %)",
        "nl": "Aandeel binnen de norm, of binnen 15 min zonder norm (%, 95 %-betrouwbaarheidsinterval)",
        "de": "Anteil innerhalb der Frist, sonst in 15 min (%, 95-%-Konfidenzintervall)",
    },
    "norm.ylabel": {
        "en": "Dispatch centre · class of call",
        "fr": "Centrale d'appels · type d'appel",
        "nl": "Meldkamer · soort melding",
        "de": "Leitstelle · Einsatzart",
    },
    "norm.target": {
        "en": "Target of the norm",
        "fr": "Objectif de la norme",
        "nl": "Doel van de norm",
        "de": "Zielwert der Frist",
    },
    "norm.centre_label": {
        "en": "{centre} · {cls}\n({norm})",
        "fr": "{centre} · {cls}\n({norm})",
        "nl": "{centre} · {cls}\n({norm})",
        "de": "{centre} · {cls}\n({norm})",
    },
    "norm.short": {
        "en": "{minutes} min, {share} %",
        "fr": "{minutes} min, {share} %",
        "nl": "{minutes} min, {share} %",
        "de": "{minutes} min, {share} %",
    },
    "norm.limit_only": {
        "en": "{minutes} min, no target share",
        "fr": "{minutes} min, sans part cible",
        "nl": "{minutes} min, geen streefpercentage",
        "de": "{minutes} min, ohne Zielanteil",
    },
    "norm.band": {
        "en": "no norm: within {minutes} min",
        "fr": "pas de norme : en {minutes} min",
        "nl": "geen norm: binnen {minutes} min",
        "de": "keine Frist: in {minutes} min",
    },
    # ---------------------------------------------------------------- cross-border missions
    "xb.title": {
        "en": "Cross-border missions by direction",
        "fr": "Missions transfrontalières par sens",
        "nl": "Grensoverschrijdende inzetten per richting",
        "de": "Grenzüberschreitende Einsätze nach Richtung",
    },
    "xb.xlabel": {
        "en": "Missions per run (mean, 95 % confidence interval)",
        "fr": "Missions par simulation (moyenne, IC à 95 %)",
        "nl": "Inzetten per simulatierun (gemiddelde, 95 %-BI)",
        "de": "Einsätze je Simulationslauf (Mittel, 95-%-KI)",
    },
    "xb.xlabel_week": {
        "en": "Missions per week (mean, 95 % confidence interval)",
        "fr": "Missions par semaine (moyenne, IC à 95 %)",
        "nl": "Inzetten per week (gemiddelde, 95 %-BI)",
        "de": "Einsätze pro Woche (Mittel, 95-%-KI)",
    },
    "xb.ylabel": {
        "en": "Unit type, from country → to country",
        "fr": "Type d'unité, du pays → vers le pays",
        "nl": "Type eenheid, van land → naar land",
        "de": "Einheit, von Land → nach Land",
    },
    "xb.none": {
        "en": "No cross-border missions in these runs",
        "fr": "Aucune mission transfrontalière dans ces simulations",
        "nl": "Geen grensoverschrijdende inzetten in deze runs",
        "de": "Keine grenzüberschreitenden Einsätze in diesen Läufen",
    },
    # ---------------------------------------------------------------- utilisation
    "util.title": {
        "en": "Unit utilisation per country and unit type",
        "fr": "Taux d'occupation des unités par pays et type",
        "nl": "Bezettingsgraad van de eenheden per land en type",
        "de": "Auslastung der Einheiten je Land und Typ",
    },
    "util.xlabel": {
        "en": "Time busy on missions, share of time on duty (%)",
        "fr": "Temps en mission, part du temps de service (%)",
        "nl": "Tijd bezet met inzetten, aandeel van de diensttijd (%)",
        "de": "Einsatzzeit, Anteil an der Dienstzeit (%)",
    },
    "util.ylabel": {
        "en": "Country · unit type (units)",
        "fr": "Pays · type d'unité (unités)",
        "nl": "Land · type eenheid (eenheden)",
        "de": "Land · Einheit (Anzahl)",
    },
    # ---------------------------------------------------------------- coverage
    "cov.title": {
        "en": "Population within reach of a station",
        "fr": "Population à portée d'un poste",
        "nl": "Bevolking binnen bereik van een post",
        "de": "Bevölkerung in Reichweite einer Wache",
    },
    "cov.national": {
        "en": "National stations only",
        "fr": "Postes nationaux seulement",
        "nl": "Alleen eigen posten",
        "de": "Nur eigene Wachen",
    },
    "cov.agreements": {
        "en": "With the agreements of {variant}",
        "fr": "Avec les accords de {variant}",
        "nl": "Met de afspraken van {variant}",
        "de": "Mit den Abkommen von {variant}",
    },
    "cov.within": {
        "en": "Within {minutes} min",
        "fr": "En {minutes} min",
        "nl": "Binnen {minutes} min",
        "de": "In {minutes} min",
    },
    "cov.beyond": {
        "en": "Over {minutes} min",
        "fr": "Plus de {minutes} min",
        "nl": "Meer dan {minutes} min",
        "de": "Über {minutes} min",
    },
    "cov.gained": {
        "en": "Gained through agreements",
        "fr": "Gagné grâce aux accords",
        "nl": "Gewonnen door de afspraken",
        "de": "Durch Abkommen gewonnen",
    },
    "cov.xlabel": {
        "en": "Population reached (%)",
        "fr": "Population atteinte (%)",
        "nl": "Bereikte bevolking (%)",
        "de": "Erreichte Bevölkerung (%)",
    },
    "cov.bar": {
        "en": "{country}, {minutes} min",
        "fr": "{country}, {minutes} min",
        "nl": "{country}, {minutes} min",
        "de": "{country}, {minutes} min",
    },
    "cov.numbers": {
        "en": "Population (share of {total})",
        "fr": "Population (part de {total})",
        "nl": "Bevolking (aandeel van {total})",
        "de": "Bevölkerung (Anteil an {total})",
    },
    "cov.note": {
        "en": "Driving time with lights and sirens ({vehicle})",
        "fr": "Temps de route en urgence ({vehicle})",
        "nl": "Rijtijd met optische en geluidssignalen ({vehicle})",
        "de": "Fahrzeit mit Sondersignal ({vehicle})",
    },
    # ---------------------------------------------------------------- parameter sweeps
    "sweep.title": {
        "en": "Results against the parameter: {area}",
        "fr": "Résultats selon le paramètre : {area}",
        "nl": "Resultaten per parameterwaarde: {area}",
        "de": "Ergebnisse je Parameterwert: {area}",
    },
    "sweep.all": {
        "en": "all calls",
        "fr": "tous les appels",
        "nl": "alle meldingen",
        "de": "alle Einsätze",
    },
    "sweep.mean_s": {
        "en": "Mean response time (min)",
        "fr": "Délai moyen d'intervention (min)",
        "nl": "Gemiddelde aanrijtijd (min)",
        "de": "Mittlere Hilfsfrist (min)",
    },
    "sweep.p90_s": {
        "en": "90th percentile of response times (min)",
        "fr": "90e centile des délais (min)",
        "nl": "90e percentiel van de aanrijtijden (min)",
        "de": "90. Perzentil der Hilfsfristen (min)",
    },
    "sweep.within_norm": {
        "en": "Urgent calls within the norm (%)",
        "fr": "Appels urgents dans la norme (%)",
        "nl": "Spoedmeldingen binnen de norm (%)",
        "de": "Dringende Einsätze innerhalb der Frist (%)",
    },
    "sweep.cross_border_missions": {
        "en": "Cross-border missions per replication",
        "fr": "Missions transfrontalières par réplication",
        "nl": "Grensoverschrijdende inzetten per replicatie",
        "de": "Grenzüberschreitende Einsätze pro Replikation",
    },
    "sweep.bands": {
        "en": "bands: 95 % confidence intervals over replications",
        "fr": "bandes : intervalles de confiance à 95 % sur les réplications",
        "nl": "banden: 95 %-betrouwbaarheidsintervallen over de replicaties",
        "de": "Bänder: 95-%-Konfidenzintervalle über die Replikationen",
    },
    # ---------------------------------------------------------------- shared
    "variant": {
        "en": "Variant",
        "fr": "Variante",
        "nl": "Variant",
        "de": "Variante",
    },
    "source.sim": {
        "en": "xborder simulation, {scenario}, {n} replications",
        "fr": "Simulation xborder, {scenario}, {n} réplications",
        "nl": "xborder-simulatie, {scenario}, {n} replicaties",
        "de": "xborder-Simulation, {scenario}, {n} Replikationen",
    },
    "source.places": {
        "en": "Population: GeoNames (CC BY 4.0)",
        "fr": "Population : GeoNames (CC BY 4.0)",
        "nl": "Bevolking: GeoNames (CC BY 4.0)",
        "de": "Bevölkerung: GeoNames (CC BY 4.0)",
    },
    "nodata": {
        "en": "No data",
        "fr": "Pas de données",
        "nl": "Geen gegevens",
        "de": "Keine Daten",
    },
    # ---------------------------------------------------------------- export, report, animate (issue 16)
    "report.title": {
        "en": "xborder report: {scenario}",
        "fr": "Rapport xborder : {scenario}",
        "nl": "xborder-rapport: {scenario}",
        "de": "xborder-Bericht: {scenario}",
    },
    "report.question": {
        "en": "Question",
        "fr": "Question",
        "nl": "Vraag",
        "de": "Frage",
    },
    "report.run": {
        "en": "{n} replication(s) of {days} days per variant, seed {seed}, {state}.",
        "fr": "{n} réplication(s) de {days} jours par variante, graine {seed}, {state}.",
        "nl": "{n} replicatie(s) van {days} dagen per variant, seed {seed}, {state}.",
        "de": "{n} Replikation(en) von {days} Tagen je Variante, Seed {seed}, {state}.",
    },
    "report.complete": {
        "en": "complete",
        "fr": "complet",
        "nl": "volledig",
        "de": "vollständig",
    },
    "report.incomplete": {
        "en": "INCOMPLETE (interrupted or a worker lost)",
        "fr": "INCOMPLET (interrompu ou processus perdu)",
        "nl": "ONVOLLEDIG (onderbroken of proces verloren)",
        "de": "UNVOLLSTÄNDIG (abgebrochen oder Prozess verloren)",
    },
    "report.table": {
        "en": "The planner's table",
        "fr": "Le tableau du planificateur",
        "nl": "De tabel voor de planner",
        "de": "Die Tabelle für die Planung",
    },
    "report.table_note": {
        "en": ("Response time: call to first unit on scene (min:s). Changes: variant minus {ref} with "
               "the 95 % interval; * the interval excludes zero."),
        "fr": ("Délai : de l'appel à la première unité sur place (min:s). Écarts : variante moins {ref},"
               " intervalle à 95 % ; * l'intervalle exclut zéro."),
        "nl": ("Aanrijtijd: van melding tot eerste eenheid ter plaatse (min:s). Verschillen: variant min"
               " {ref}, 95%-interval; * het interval sluit nul uit."),
        "de": ("Hilfsfrist: vom Notruf bis zur ersten Einheit vor Ort (min:s). Unterschiede: Variante "
               "minus {ref}, 95-%-Intervall; * das Intervall schließt null aus."),
    },
    "report.all": {
        "en": "All incidents",
        "fr": "Tous les incidents",
        "nl": "Alle incidenten",
        "de": "Alle Einsätze",
    },
    "report.centre": {
        "en": "Dispatch centre {centre}",
        "fr": "Centrale {centre}",
        "nl": "Meldkamer {centre}",
        "de": "Leitstelle {centre}",
    },
    "report.calls": {
        "en": "Calls per replication",
        "fr": "Appels par réplication",
        "nl": "Meldingen per replicatie",
        "de": "Einsätze je Replikation",
    },
    "report.mean": {
        "en": "Mean response",
        "fr": "Délai moyen",
        "nl": "Gemiddelde aanrijtijd",
        "de": "Mittlere Hilfsfrist",
    },
    "report.median": {
        "en": "Median",
        "fr": "Médiane",
        "nl": "Mediaan",
        "de": "Median",
    },
    "report.p90": {
        "en": "90th percentile",
        "fr": "90e centile",
        "nl": "90e percentiel",
        "de": "90. Perzentil",
    },
    "report.p95": {
        "en": "95th percentile",
        "fr": "95e centile",
        "nl": "95e percentiel",
        "de": "95. Perzentil",
    },
    "report.within": {
        "en": "Urgent calls within the norm",
        "fr": "Appels urgents dans la norme",
        "nl": "Spoedmeldingen binnen de norm",
        "de": "Dringende Einsätze in der Frist",
    },
    "report.unserved": {
        "en": "Unserved calls",
        "fr": "Appels non servis",
        "nl": "Niet bediende meldingen",
        "de": "Nicht bediente Einsätze",
    },
    "report.xb_incidents": {
        "en": "Calls helped from abroad",
        "fr": "Appels aidés depuis l'étranger",
        "nl": "Meldingen met hulp uit het buitenland",
        "de": "Einsätze mit Hilfe aus dem Ausland",
    },
    "report.diff_mean": {
        "en": "Change of the mean",
        "fr": "Écart du délai moyen",
        "nl": "Verschil van het gemiddelde",
        "de": "Änderung des Mittels",
    },
    "report.diff_p90": {
        "en": "Change of the 90th percentile",
        "fr": "Écart du 90e centile",
        "nl": "Verschil van het 90e percentiel",
        "de": "Änderung des 90. Perzentils",
    },
    "report.xb_missions": {
        "en": "Cross-border missions (all replications)",
        "fr": "Missions transfrontalières (toutes réplications)",
        "nl": "Grensoverschrijdende ritten (alle replicaties)",
        "de": "Grenzüberschreitende Einsätze (alle Replikationen)",
    },
    "report.utilisation": {
        "en": "Unit utilisation",
        "fr": "Taux d'occupation des unités",
        "nl": "Bezetting van de eenheden",
        "de": "Auslastung der Einheiten",
    },
    "report.map": {
        "en": "Map",
        "fr": "Carte",
        "nl": "Kaart",
        "de": "Karte",
    },
    "report.map_help": {
        "en": ("Choose a layer in the box at the top right: a variant's 90th percentile, its change, the"
               " stations, the cross-border missions. Hover over or click a hexagon or a station for its"
               " numbers."),
        "fr": ("Choisissez une couche dans la boîte en haut à droite : le 90e centile d'une variante, "
               "son écart, les postes, les missions transfrontalières. Survolez ou cliquez un hexagone "
               "ou un poste pour ses chiffres."),
        "nl": ("Kies een laag in het vak rechtsboven: het 90e percentiel van een variant, het verschil, "
               "de posten, de grensoverschrijdende ritten. Wijs een zeshoek of post aan of klik erop "
               "voor de cijfers."),
        "de": ("Wählen Sie oben rechts eine Ebene: das 90. Perzentil einer Variante, seine Änderung, die"
               " Wachen, die grenzüberschreitenden Einsätze. Zeigen oder klicken Sie auf ein Sechseck "
               "oder eine Wache für die Zahlen."),
    },
    "report.layer_p90": {
        "en": "90th percentile: {variant}",
        "fr": "90e centile : {variant}",
        "nl": "90e percentiel: {variant}",
        "de": "90. Perzentil: {variant}",
    },
    "report.layer_diff": {
        "en": "Change of the 90th percentile: {variant} − {ref}",
        "fr": "Écart du 90e centile : {variant} − {ref}",
        "nl": "Verschil 90e percentiel: {variant} − {ref}",
        "de": "Änderung 90. Perzentil: {variant} − {ref}",
    },
    "report.layer_stations": {
        "en": "Stations",
        "fr": "Postes",
        "nl": "Posten",
        "de": "Wachen",
    },
    "report.layer_xb": {
        "en": "Cross-border missions: {variant}",
        "fr": "Missions transfrontalières : {variant}",
        "nl": "Grensoverschrijdende ritten: {variant}",
        "de": "Grenzüberschreitende Einsätze: {variant}",
    },
    "report.layer_focus": {
        "en": "Focus areas",
        "fr": "Zones d'intérêt",
        "nl": "Aandachtsgebieden",
        "de": "Schwerpunktgebiete",
    },
    "report.hex_calls": {
        "en": "Calls",
        "fr": "Appels",
        "nl": "Meldingen",
        "de": "Einsätze",
    },
    "report.hex_mean": {
        "en": "Mean (min:s)",
        "fr": "Moyenne (min:s)",
        "nl": "Gemiddelde (min:s)",
        "de": "Mittel (min:s)",
    },
    "report.hex_p90": {
        "en": "90th percentile (min:s)",
        "fr": "90e centile (min:s)",
        "nl": "90e percentiel (min:s)",
        "de": "90. Perzentil (min:s)",
    },
    "report.hex_within": {
        "en": "Within the norm of their class",
        "fr": "Dans la norme de leur classe",
        "nl": "Binnen de norm van hun klasse",
        "de": "In der Frist ihrer Klasse",
    },
    "report.hex_diff_p90": {
        "en": "Change of the 90th percentile vs {ref} (min:s)",
        "fr": "Écart du 90e centile / {ref} (min:s)",
        "nl": "Verschil 90e percentiel t.o.v. {ref} (min:s)",
        "de": "Änderung 90. Perzentil gegenüber {ref} (min:s)",
    },
    "report.hex_diff_within": {
        "en": "Change within the norm vs {ref} (points)",
        "fr": "Écart dans la norme / {ref} (points)",
        "nl": "Verschil binnen de norm t.o.v. {ref} (punten)",
        "de": "Änderung in der Frist gegenüber {ref} (Punkte)",
    },
    "report.units": {
        "en": "Units",
        "fr": "Unités",
        "nl": "Eenheden",
        "de": "Einheiten",
    },
    "report.util_of": {
        "en": "Utilisation, {variant}",
        "fr": "Occupation, {variant}",
        "nl": "Bezetting, {variant}",
        "de": "Auslastung, {variant}",
    },
    "report.xb_line": {
        "en": "{station}, {direction}: {n} missions, {minutes} min driving on average",
        "fr": "{station}, {direction} : {n} missions, {minutes} min de route en moyenne",
        "nl": "{station}, {direction}: {n} ritten, gemiddeld {minutes} min rijden",
        "de": "{station}, {direction}: {n} Einsätze, im Mittel {minutes} min Fahrt",
    },
    "report.figures": {
        "en": "Figures",
        "fr": "Figures",
        "nl": "Figuren",
        "de": "Abbildungen",
    },
    "report.legend_p90": {
        "en": "90th percentile of the response time (min)",
        "fr": "90e centile du délai (min)",
        "nl": "90e percentiel van de aanrijtijd (min)",
        "de": "90. Perzentil der Hilfsfrist (min)",
    },
    "report.legend_diff": {
        "en": "Change (min; blue: faster)",
        "fr": "Écart (min ; bleu : plus rapide)",
        "nl": "Verschil (min; blauw: sneller)",
        "de": "Änderung (min; blau: schneller)",
    },
    "report.footer": {
        "en": ("Made by xborder from {folder}. Simulated results, not observations. The map draws the "
               "roads and the border from the bundled OpenStreetMap extract: no map tiles, nothing "
               "loaded from the internet."),
        "fr": ("Produit par xborder à partir de {folder}. Résultats simulés, pas des observations. La "
               "carte trace les routes et la frontière de l'extrait OpenStreetMap fourni : pas de "
               "tuiles, rien n'est chargé d'internet."),
        "nl": ("Gemaakt door xborder uit {folder}. Gesimuleerde resultaten, geen waarnemingen. De kaart "
               "tekent wegen en grens uit het meegeleverde OpenStreetMap-uittreksel: geen kaarttegels, "
               "niets van internet."),
        "de": ("Erstellt von xborder aus {folder}. Simulierte Ergebnisse, keine Beobachtungen. Die Karte"
               " zeichnet Straßen und Grenze aus dem mitgelieferten OpenStreetMap-Auszug: keine Kacheln,"
               " nichts aus dem Internet."),
    },
    "anim.title": {
        "en": "{scenario}: a simulated day",
        "fr": "{scenario} : une journée simulée",
        "nl": "{scenario}: een gesimuleerde dag",
        "de": "{scenario}: ein simulierter Tag",
    },
    "anim.clock": {
        "en": "Day {day}, {time}",
        "fr": "Jour {day}, {time}",
        "nl": "Dag {day}, {time}",
        "de": "Tag {day}, {time}",
    },
    "anim.calls": {
        "en": "Calls so far: {n}",
        "fr": "Appels jusqu'ici : {n}",
        "nl": "Meldingen tot nu: {n}",
        "de": "Einsätze bisher: {n}",
    },
    "anim.xb": {
        "en": "Cross-border missions: {n}",
        "fr": "Missions transfrontalières : {n}",
        "nl": "Grensoverschrijdende ritten: {n}",
        "de": "Grenzüberschreitende Einsätze: {n}",
    },
    "anim.incident": {
        "en": "Call (until the last unit leaves)",
        "fr": "Appel (jusqu'au départ de la dernière unité)",
        "nl": "Melding (tot de laatste eenheid vertrekt)",
        "de": "Einsatzort (bis die letzte Einheit abfährt)",
    },
    "anim.unit": {
        "en": "Unit from {country}",
        "fr": "Unité de {country}",
        "nl": "Eenheid uit {country}",
        "de": "Einheit aus {country}",
    },
    "anim.source": {
        "en": "xborder simulation, {scenario}, replication {r}",
        "fr": "Simulation xborder, {scenario}, réplication {r}",
        "nl": "xborder-simulatie, {scenario}, replicatie {r}",
        "de": "xborder-Simulation, {scenario}, Replikation {r}",
    },
    "anim.note": {
        "en": "Units drive their routes on the road network; hollow: on an estimated leg beyond the extract.",
        "fr": ("Les unités suivent leur itinéraire sur le réseau ; creuses : sur un tronçon estimé "
               "hors de l'extrait."),
        "nl": "Eenheden rijden hun route over het wegennet; open: op een geschat stuk buiten het uittreksel.",
        "de": ("Einheiten fahren ihre Route auf dem Straßennetz; hohl: auf einem geschätzten Abschnitt "
               "außerhalb."),
    },
}
"""Key -> language -> text. Texts may hold ``str.format`` fields such as ``{n}``."""


def t(key: str, lang: str = "en", **fields: Any) -> str:
    """The text of `key` in `lang`, with ``str.format`` `fields` filled in.

    Parameters
    ----------
    key
        A key of :data:`STRINGS`, e.g. ``"cdf.title"``.
    lang
        One of :data:`LANGUAGES`.
    **fields
        Values for the text's format fields.

    Raises
    ------
    ValueError
        If `lang` is not supported.
    KeyError
        If `key` is unknown or has no text in `lang`.
    """
    if lang not in LANGUAGES:
        raise ValueError(f"unsupported language {lang!r}; choose one of {', '.join(LANGUAGES)}")
    try:
        entry = STRINGS[key]
    except KeyError:
        raise KeyError(f"no text for key {key!r}") from None
    try:
        text = entry[lang]
    except KeyError:
        raise KeyError(f"text {key!r} has no {lang!r} version") from None
    return text.format(**fields) if fields else text


def unit_label(unit_type: str, lang: str = "en") -> str:
    """The name of a unit type in `lang` (``unit.<type>``, else ``kind.<type>``; else the type itself)."""
    for key in (f"unit.{unit_type}", f"kind.{unit_type}"):
        if key in STRINGS:
            return t(key, lang)
    return unit_type


def class_label(norm_class: str, lang: str = "en") -> str:
    """The name of a class of call (:data:`sim.model.norms.NORM_CLASSES`) in `lang` (``class.<name>``;
    else the class itself)."""
    key = f"class.{norm_class}"
    return t(key, lang) if key in STRINGS else norm_class


def number(x: float, lang: str = "en", *, digits: int | None = None) -> str:
    """`x` written for `lang`: decimal comma in French, Dutch and German, a thin space between thousands.

    Parameters
    ----------
    x
        The number.
    lang
        One of :data:`LANGUAGES`.
    digits
        Digits after the decimal sign (default: as short as ``format(x, "g")``).
    """
    if lang not in LANGUAGES:
        raise ValueError(f"unsupported language {lang!r}; choose one of {', '.join(LANGUAGES)}")
    text = f"{x:,.{digits}f}" if digits is not None else f"{x:,g}"
    text = text.replace(",", "\u202f")  # narrow no-break space between thousands (SI, every language)
    return text.replace(".", ",") if lang != "en" else text


_NUMERAL = re.compile(r"(?<![\d.])(\d+)(?:\.(\d+))?(?![\d.])")
_THOUSANDS = re.compile(r"\B(?=(?:\d{3})+$)")


def localise_numerals(text: str, lang: str) -> str:
    """The numbers in `text` (written the English way: ``1234.5``) written for `lang`, as :func:`number`.

    In French, Dutch and German the decimal point becomes a comma and thousands are set apart by a
    narrow no-break space (``1 234,5``); English text is returned as it is. Signs, exponents and
    other characters are kept. In mathtext (text between ``$``) the comma is braced, ``{,}``, and
    the thousands gap is ``\\,``, so mathtext typesets them as parts of the number.

    Parameters
    ----------
    text
        Text holding numbers, such as a tick label made by a matplotlib formatter.
    lang
        One of :data:`LANGUAGES`.
    """
    if lang not in LANGUAGES:
        raise ValueError(f"unsupported language {lang!r}; choose one of {', '.join(LANGUAGES)}")
    if lang == "en":
        return text
    math = "$" in text
    comma, gap = ("{,}", r"\,") if math else (",", "\u202f")

    def local(m: re.Match[str]) -> str:
        whole = _THOUSANDS.sub(lambda _g: gap, m.group(1)) if len(m.group(1)) > 3 else m.group(1)
        return whole + (comma + m.group(2) if m.group(2) is not None else "")

    return _NUMERAL.sub(local, text)


# ---------------------------------------------------------------- sensitivity (xborder sensitivity)
STRINGS.update({
    "sens.title": {
        "en": "{variant} vs {reference}: what moves the {output}",
        "fr": "{variant} face à {reference} : ce qui fait varier le {output}",
        "nl": "{variant} tegenover {reference}: wat bepaalt de {output}",
        "de": "{variant} gegenüber {reference}: was die {output} bewegt",
    },
    "sens.output.mean_s": {
        "en": "gain in mean response time",
        "fr": "gain sur le délai moyen",
        "nl": "winst in gemiddelde aanrijtijd",
        "de": "Gewinn an mittlerer Hilfsfrist",
    },
    "sens.output.p90_s": {
        "en": "gain in the 90th percentile",
        "fr": "gain sur le 90e centile",
        "nl": "winst in het 90e percentiel",
        "de": "Gewinn am 90. Perzentil",
    },
    "sens.output.within_norm": {
        "en": "gain in urgent calls within the norm",
        "fr": "gain en appels urgents dans la norme",
        "nl": "winst in spoedmeldingen binnen de norm",
        "de": "Gewinn an dringenden Einsätzen in der Frist",
    },
    "sens.area": {
        "en": "Calls in: {area}",
        "fr": "Appels : {area}",
        "nl": "Meldingen: {area}",
        "de": "Einsätze: {area}",
    },
    "sens.morris.x": {
        "en": "Effect of each input over its range, μ* ({unit}); bar: 95 % bootstrap interval",
        "fr": "Effet de chaque entrée sur sa plage, μ* ({unit}) ; trait : intervalle bootstrap à 95 %",
        "nl": "Effect van elke invoer over zijn bereik, μ* ({unit}); streep: 95 %-bootstrapinterval",
        "de": "Wirkung jeder Eingabe über ihren Bereich, μ* ({unit}); Strich: 95-%-Bootstrap-Intervall",
    },
    "sens.morris.sigma": {
        "en": "σ: interactions and non-linearity",
        "fr": "σ : interactions et non-linéarité",
        "nl": "σ: interacties en niet-lineariteit",
        "de": "σ: Wechselwirkungen und Nichtlinearität",
    },
    "sens.morris.mu_star": {
        "en": "μ*: mean absolute effect",
        "fr": "μ* : effet absolu moyen",
        "nl": "μ*: gemiddeld absoluut effect",
        "de": "μ*: mittlere absolute Wirkung",
    },
    "sens.sobol.x": {
        "en": "Share of the variance of the gain; bar: 95 % bootstrap interval",
        "fr": "Part de la variance du gain ; trait : intervalle bootstrap à 95 %",
        "nl": "Aandeel in de variantie van de winst; streep: 95 %-bootstrapinterval",
        "de": "Anteil an der Varianz des Gewinns; Strich: 95-%-Bootstrap-Intervall",
    },
    "sens.sobol.ST": {
        "en": "total order S_T (with interactions)",
        "fr": "ordre total S_T (avec interactions)",
        "nl": "totale orde S_T (met interacties)",
        "de": "Gesamtindex S_T (mit Wechselwirkungen)",
    },
    "sens.sobol.S1": {
        "en": "first order S_1 (alone)",
        "fr": "premier ordre S_1 (seul)",
        "nl": "eerste orde S_1 (alleen)",
        "de": "Index erster Ordnung S_1 (allein)",
    },
    "sens.band.y": {
        "en": "Gain, variant minus reference ({unit})",
        "fr": "Gain, variante moins référence ({unit})",
        "nl": "Winst, variant min referentie ({unit})",
        "de": "Gewinn, Variante minus Referenz ({unit})",
    },
    "sens.band.replications": {
        "en": "Replications\n(the file's\nvalues, 95 %)",
        "fr": "Réplications\n(valeurs du\nfichier, 95 %)",
        "nl": "Replicaties\n(waarden van\nhet bestand, 95 %)",
        "de": "Replikationen\n(Werte der\nDatei, 95 %)",
    },
    "sens.band.uncertainty": {
        "en": "Declared\nuncertainty\n(5-95 % of points;\nline: all)",
        "fr": "Incertitude\ndéclarée\n(5-95 % des points ;\ntrait : tous)",
        "nl": "Opgegeven\nonzekerheid\n(5-95 % van de punten;\nlijn: alle)",
        "de": "Angegebene\nUnsicherheit\n(5-95 % der Punkte;\nLinie: alle)",
    },
    "sens.unit.min": {
        "en": "min",
        "fr": "min",
        "nl": "min",
        "de": "min",
    },
    "sens.unit.pp": {
        "en": "percentage points",
        "fr": "points de pourcentage",
        "nl": "procentpunten",
        "de": "Prozentpunkte",
    },
    "sens.source": {
        "en": "{method}: {points} points, {k} uncertain inputs",
        "fr": "{method} : {points} points, {k} entrées incertaines",
        "nl": "{method}: {points} punten, {k} onzekere invoerwaarden",
        "de": "{method}: {points} Punkte, {k} unsichere Eingaben",
    },
})
