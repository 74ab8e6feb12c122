from rest_framework.routers import SimpleRouter

from .views import ProductGroupViewSet, ProductViewSet, WarehouseViewSet

router = SimpleRouter()
router.register("products", ProductViewSet, basename="product")
router.register("product-groups", ProductGroupViewSet, basename="product-group")
router.register("warehouses", WarehouseViewSet, basename="warehouse")

urlpatterns = router.urls
