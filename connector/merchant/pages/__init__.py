"""The app's pages: importing this package registers every page's routes on ``merchant_bp``.

One line per page module (each page helper adds theirs); a page module holds its views, decorated
with ``@merchant_view``, and renders ``connector/templates/merchant/<page>*.html`` with ``render_page``.
"""

import connector.merchant.pages.backorders  # noqa: F401
import connector.merchant.pages.home  # noqa: F401
import connector.merchant.pages.jobs  # noqa: F401
import connector.merchant.pages.kpis  # noqa: F401
import connector.merchant.pages.messages  # noqa: F401
import connector.merchant.pages.reorder  # noqa: F401
import connector.merchant.pages.settings  # noqa: F401
import connector.merchant.pages.suppliers  # noqa: F401
