def test_home_page(client):
    response = client.get("/")
    assert response.status_code == 200
    assert "No articles yet" in response.get_data(as_text=True)


def test_member_sees_their_name(client, as_member):
    page = client.get("/").get_data(as_text=True)
    assert "Signed in as <strong>mia</strong>" in page
    assert '<meta name="csrf-token"' in page
