"""Text the int8 OpenVINO export is calibrated on: activation ranges, not answers.

Static int8 quantisation needs example inputs to measure the range of each layer's
activations. These texts were written for that purpose only: general prose on many
subjects (science, medicine, politics, law, technology, history, everyday life), questions,
headings and single words, so that no user corpus and no evaluation set shapes the export.
Sentences are used alone and joined into paragraphs of up to a full model window
(:func:`calibration_texts`).
"""

from __future__ import annotations

SENTENCES: tuple[str, ...] = (
    "The committee approved the budget after a long debate about school funding.",
    "How many people live in the largest city of the region?",
    "Mitochondria produce most of the chemical energy needed to power a cell's reactions.",
    "In 2019 the central bank raised interest rates twice to slow inflation.",
    "Patients who received the drug recovered faster than those given a placebo.",
    "Introduction",
    "The bridge was closed for repairs after engineers found cracks in two of its supports.",
    "Why did the government postpone the election?",
    "A binary search halves the remaining interval at every step, so it runs in logarithmic time.",
    "Rainfall in the northern provinces fell by a third compared with the previous decade.",
    "The contract may be terminated by either party with ninety days' written notice.",
    "Results",
    "Researchers sequenced the genomes of 1,200 bacterial strains isolated from hospital wards.",
    "What are the side effects of long-term use?",
    "The treaty allowed goods to cross the border without customs duties for the first time.",
    "She opened a small bakery on the corner and soon had customers queuing before dawn.",
    "Memory usage grew linearly with the number of open connections until the server crashed.",
    "The survey found that most respondents trusted local newspapers more than national ones.",
    "Elevated blood pressure is a major risk factor for stroke and heart failure.",
    "Which countries signed the agreement in 2008?",
    "The museum's collection includes manuscripts from the eleventh century.",
    "Methods: we conducted a randomised, double-blind trial in 14 centres across three countries.",
    "Exports of oil and gas account for more than half of the state's revenue.",
    "The algorithm assigns each request to the least loaded worker in the pool.",
    "After the merger, the company cut its workforce by twelve percent.",
    "T cells recognise antigens presented on the surface of infected cells.",
    "Farmers switched to drought-resistant varieties of wheat and barley.",
    "The minister said the country would keep good relations with all of its neighbours.",
    "Is the vaccine effective against the new variant?",
    "The court ruled that the law violated the right to free expression.",
    "Conclusion",
    "Solar panels convert sunlight directly into electricity using semiconductor materials.",
    "The expedition reached the summit on the third attempt, despite strong winds.",
    "Deficiency of vitamin B12 can cause anaemia and damage to the nervous system.",
    "Users can export their data as CSV or JSON from the settings page.",
    "The railway line links the capital with ports on the coast and the mines in the mountains.",
    "Sales fell sharply in the first quarter but recovered by the end of the year.",
    "The protein folds into a stable structure only in the presence of calcium ions.",
    "When did the factory open, and how many workers did it employ?",
    "Critics argued that the reform would raise costs for small businesses.",
    "The river floods every spring, depositing fertile silt on the surrounding plains.",
    "Mice lacking the gene developed obesity and insulin resistance by twelve weeks of age.",
    "Our analysis is limited by the small sample and the short follow-up period.",
    "The delegation met officials from the trade ministry to discuss tariffs on steel.",
    "Press the reset button for ten seconds until the light turns green.",
    "Children who slept fewer than eight hours scored lower on attention tests.",
    "The empire's decline began with a series of costly wars on its eastern frontier.",
    "Encryption keys are rotated every ninety days and stored in a hardware module.",
)


#: Single words: one- and two-word inputs (headings, keyword questions) have activation
#: ranges of their own; without them a one-word text's vector drifts (cosine 0.91 to full
#: precision instead of 0.97).
WORDS: tuple[str, ...] = (
    "water", "economy", "protein", "election", "court", "bridge", "summit", "bank",
    "wheat", "river", "treaty", "museum", "vaccine", "solar", "railway", "encryption",
    "sleep", "gene", "tariffs", "empire", "bakery", "survey", "algorithm", "contract",
    "summary", "abstract", "discussion", "background", "references", "appendix",
    # short cells and list items, common in tables and forms
    "yes", "no", "none", "n/a", "thanks", "hello", "done", "TBD", "see above", "total",
)  # fmt: skip


def calibration_texts() -> list[str]:
    """Every word alone and in pairs, every sentence alone, then paragraphs of 2 to 16
    consecutive sentences."""
    texts = list(WORDS) + [f"{a} {b}" for a, b in zip(WORDS[::2], WORDS[1::2], strict=True)]
    texts += SENTENCES
    n = len(SENTENCES)
    for size in (2, 3, 5, 8, 12, 16):
        for start in range(0, n, size + 1):
            texts.append(" ".join(SENTENCES[(start + i) % n] for i in range(size)))
    return texts
