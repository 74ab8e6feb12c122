from rest_framework.routers import SimpleRouter

from .api_views import CurrencyViewSet, ExchangeRateViewSet

router = SimpleRouter()
router.register("currencies", CurrencyViewSet, basename="currency")
router.register("exchange-rates", ExchangeRateViewSet, basename="exchange-rate")

urlpatterns = router.urls
