"""The tiny article set of the web, API and backend tests (importable, unlike conftest)."""

from __future__ import annotations

XSS_TITLE = '<script>window.__xss=1</script>Zanzibar <img src=x onerror="window.__xss=2">'
XSS_BODY = (
    "The zanzibar cloves report. <script>window.__xss=3</script> Prices of cloves rose "
    '<img src=x onerror="window.__xss=4"> and <a href="javascript:window.__xss=5">click</a>.\n\n'
    "Second paragraph about zanzibar cloves & spices <b>bold</b>."
)


def web_articles() -> list[dict]:
    """Return the tiny corpus of the web tests (oil spans two pages; one XSS article)."""
    arts = []
    for i in range(14):
        year = 2019 + i % 5
        arts.append(
            {
                "id": f"oil-{i:02d}",
                "title": f"Oil prices move {['higher', 'lower'][i % 2]} in week {i + 1}",
                "body": (
                    f"Crude oil prices moved in trading week {i + 1} as OPEC ministers met. "
                    f"Analysts said refinery demand and shipping costs of barrel {i} mattered.\n\n"
                    f"Brent and WTI oil futures closed the session {i} cents apart."
                ),
                "published": f"{year}-{1 + i % 12:02d}-{1 + i:02d}",
                "author": "Jane Reporter" if i % 3 == 0 else "",
                "source": "Reuters" if i % 2 == 0 else "Example Wire",
                "url": f"https://news.example.com/oil/{i}",
                "tags": ["energy", "markets"] if i % 2 == 0 else ["energy"],
            }
        )
    for i in range(3):  # near-duplicates: same body, different ids
        arts.append(
            {
                "id": f"coffee-dup-{i}",
                "title": "Coffee harvest in Brazil hit by frost",
                "body": "Brazilian coffee growers said frost damaged the arabica harvest "
                "in Minas Gerais, lifting coffee futures in New York.",
                "published": f"2021-07-{20 + i:02d}",
                "source": "BBC",
                "url": "https://bbc.example.org/coffee",
                "tags": ["agriculture"],
            }
        )
    arts += [
        {
            "id": "cocoa-1",
            "title": "Cocoa grinding figures rise in Europe",
            "body": "European cocoa grindings rose in the second quarter, the association said."
            "\n\nChocolate makers bought more beans.",
            "published": "2020-04-15",
            "author": "Sam Writer",
            "source": "BBC",
            "url": "javascript:alert(1)",
            "tags": ["agriculture"],
        },
        {
            "id": "xss-1",
            "title": XSS_TITLE,
            "body": XSS_BODY,
            "published": "2022-02-02",
            "author": "<b>Mallory</b>",
            "source": "Evil <Source>",
            "url": "javascript:window.__xss=6",
            "tags": ["spices"],
        },
        {
            "id": "nodate-1",
            "title": "Central bank keeps interest rates unchanged",
            "body": "The central bank held its benchmark interest rate, citing inflation.",
            "source": "Reuters",
            "url": "https://news.example.com/rates",
            "tags": ["economy"],
        },
    ]
    return arts
