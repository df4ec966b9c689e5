// The dashboard's shell: header, navigation and the page the address names.

export function App() {
  return (
    <main>
      <h1>Cairn</h1>
    </main>
  );
}
