#!/usr/bin/env python3
"""Generates a large shop catalog for scale tests and benchmarks (not committed: it is big).

    python3 scripts/gen_catalog.py [OUT_DIR=target/scale] [PRODUCTS=100000]

Writes OUT_DIR/products.csv, recs.csv (also_viewed and also_bought, 10 ids each per product),
lists.csv (top sellers per category) and campaign.toml (the demo campaign plus a [catalog]
table pointing at them). Deterministic: the same arguments give the same bytes.
"""
import os
import random
import sys

out = sys.argv[1] if len(sys.argv) > 1 else "target/scale"
count = int(sys.argv[2]) if len(sys.argv) > 2 else 100_000
rng = random.Random(42)
categories = ["dog", "cat", "garden", "kitchen", "toys", "books", "sport", "tools"]
adjectives = ["Crunchy", "Cosy", "Deluxe", "Compact", "Eco", "Classic", "Smart", "Rugged"]
nouns = ["Bowl", "Bed", "Leash", "Kettle", "Shovel", "Puzzle", "Ball", "Lamp", "Mug", "Brush"]
os.makedirs(out, exist_ok=True)
ids = [f"p{i:06d}" for i in range(count)]
category = {}
with open(os.path.join(out, "products.csv"), "w") as f:
    f.write("id,name,price_cents,url,image,category,in_stock\n")
    for pid in ids:
        cat = rng.choice(categories)
        category[pid] = cat
        name = f"{rng.choice(adjectives)} {rng.choice(nouns)} {rng.randint(1, 999)}"
        stock = "true" if rng.random() > 0.05 else "false"
        f.write(f"{pid},{name},{rng.randint(199, 99_999)},/p/{pid},/img/{cat}.svg,{cat},{stock}\n")
with open(os.path.join(out, "recs.csv"), "w") as f:
    f.write("product_id,table,products\n")
    for pid in ids:
        for table in ("also_viewed", "also_bought"):
            f.write(f"{pid},{table},{' '.join(rng.sample(ids, 10))}\n")
with open(os.path.join(out, "lists.csv"), "w") as f:
    f.write("list,key,products\n")
    for cat in categories:
        members = [p for p in ids[:5000] if category[p] == cat][:20]
        f.write(f"top_sellers,{cat},{' '.join(members)}\n")
here = os.path.dirname(os.path.abspath(__file__))
demo = os.path.relpath(os.path.join(here, "..", "fixtures", "campaigns", "demo.toml"), out)
with open(os.path.join(out, "campaign.toml"), "w") as f:
    f.write(f'include = ["{demo}"]\n\n[catalog]\nproducts = "products.csv"\n'
            'recommendations = "recs.csv"\nlists = "lists.csv"\nshard_size = 2000\n')
print(f"{out}: {count} products")
