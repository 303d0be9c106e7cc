from django.urls import path

from ketaclinic.ledger.views import disposal, inventory, reports, setup, stock

app_name = "ledger"

urlpatterns = [
    path("", stock.home, name="home"),
    path("containers/", stock.container_list, name="containers"),
    path("containers/<int:container_id>/", stock.container_detail, name="container"),
    path("containers/<int:container_id>/quarantine/", stock.quarantine, name="quarantine"),
    path("entries/", stock.entry_list, name="entries"),
    path("entries/<int:entry_id>/", stock.entry_detail, name="entry"),
    path("entries/<int:entry_id>/reverse/", stock.reverse, name="reverse"),
    path("receive/", stock.receive, name="receive"),
    path("administer/", stock.administer, name="administer"),
    path("waste/", stock.waste, name="waste"),
    path("adjust/", stock.adjust, name="adjust"),
    path("transfer/", disposal.transfer, name="transfer"),
    path("destroy/", disposal.destroy, name="destroy"),
    path("theft-loss/", disposal.theft_loss_list, name="theft_losses"),
    path("theft-loss/new/", disposal.theft_loss_new, name="theft_loss_new"),
    path("theft-loss/<int:report_id>/", disposal.theft_loss_detail, name="theft_loss"),
    path("inventories/", inventory.inventory_list, name="inventories"),
    path("inventories/new/", inventory.inventory_new, name="inventory_new"),
    path("inventories/<int:inventory_id>/", inventory.inventory_detail, name="inventory"),
    path("discrepancies/<int:discrepancy_id>/", inventory.discrepancy_detail, name="discrepancy"),
    path("setup/", setup.setup, name="setup"),
    path("setup/registrants/<int:location_id>/", setup.registrant_edit, name="registrant"),
    path("setup/products/new/", setup.product_new, name="product_new"),
    path("setup/products/<int:product_id>/", setup.product_edit, name="product_edit"),
    path("setup/suppliers/new/", setup.supplier_new, name="supplier_new"),
    path("setup/suppliers/<int:supplier_id>/", setup.supplier_edit, name="supplier_edit"),
    path("setup/settings/", setup.policy_edit, name="policy"),
    path("reports/", reports.report_index, name="reports"),
    path("reports/<str:kind>/", reports.report, name="report"),
]
