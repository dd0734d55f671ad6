"""Every table of the connector: the storage core's and each feature's, on one ``Base.metadata``.

Features keep their tables in their own ``models.py``; importing this module loads them all, for
what must see the whole schema (migrations, key rotation, privacy erasure, tests). Nothing else
needs it: a feature imports the models it uses.
"""

from __future__ import annotations

from connector.db import models as core_models
from connector.db import models_jobs
from connector.db import models_settings as settings_audit_models
from connector.dropship import models as dropship_models
from connector.install import models as install_models
from connector.merchant import models as merchant_models
from connector.notify import models as notify_models
from connector.notify import preference_models as customer_preference_models
from connector.payments import models as payments_models
from connector.payments import plan_models as selling_plan_models
from connector.purchasing import models as purchasing_models
from connector.reorder import models as reorder_models
from connector.reports import models as reports_models
from connector.restock import models as restock_models
from connector.shipping import models as shipping_models
from connector.supply import bulk_models as supply_bulk_models
from connector.supply import models as supply_models

Base = core_models.Base
metadata = Base.metadata

FEATURE_MODELS = (core_models, models_jobs, dropship_models, install_models, notify_models, supply_models,
                  payments_models, shipping_models, selling_plan_models, purchasing_models,
                  restock_models, settings_audit_models, merchant_models, customer_preference_models,
                  reorder_models, reports_models, supply_bulk_models)
"""The modules whose tables make up the schema (kept referenced so none is pruned as unused)."""
